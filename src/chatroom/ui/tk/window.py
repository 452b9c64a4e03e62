"""The main window: widgets only. It draws what the presenter tells it (it
implements :class:`~chatroom.ui.tk.presenter.ChatView`) and forwards clicks and
keys to the presenter; it decides nothing about chat.

Layout (works from 800x600 up; the side panes can be dragged)::

    +-----------+----------------------------------+-----------+
    | Chatroom +| #lobby                           | 3 people  |
    | ROOMS     | topic                            | @alice    |
    |  #lobby 2 | [Oh no, we have lost connection] |  bob      |
    |  #dev     | 12:03   alice  hello             |  carol    |
    | PRIVATE   | 12:04     bob  hi alice          |           |
    |  carol    | [input                  ] [Send] |           |
    +-----------+----------------------------------+-----------+
    | * Connected to 127.0.0.1:1060 as alice       Enter sends |
    +----------------------------------------------------------+
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk
from typing import TYPE_CHECKING

from chatroom.ui.tk.dialogs import AskDialog
from chatroom.ui.tk.formatting import (
    APP_NAME,
    SECTIONS,
    BufferRow,
    MemberRow,
    Segment,
    Status,
    flatten,
)
from chatroom.ui.tk.theme import (
    COLOURS,
    STATE_COLOURS,
    Fonts,
    apply_style,
    configure_conversation,
)

if TYPE_CHECKING:
    from chatroom.ui.tk.presenter import Presenter

MAX_LINES = 1500
"""Lines kept in the conversation widget; older ones are dropped from the top
(the core keeps more, and the server keeps history)."""

INPUT_MAX_LINES = 5  # the input box grows with its text up to this many lines
HINT = "Enter sends · Shift+Enter new line · Tab completes · /help"


class MainWindow:
    """The chat window inside ``root``. ``presenter`` is set by the app once it
    exists; until then user actions are ignored."""

    def __init__(self, root: tk.Tk, *, _utest: bool = False) -> None:
        self.root = root
        self.presenter: Presenter | None = None
        self.dialog: AskDialog | None = None
        self._utest = _utest
        self.fonts = Fonts(root)
        apply_style(root, self.fonts)
        root.title(APP_NAME)
        root.configure(background=COLOURS["bg"])
        root.minsize(640, 420)
        root.geometry("960x640")
        self._row_names: dict[str, str] = {}  # rooms list item id -> buffer name
        self._rows: dict[str, BufferRow] = {}
        self._members: list[MemberRow] = []
        self._at_top = False
        self.paging = True  # scrolling to the top fetches older messages
        self.on_send: Callable[[str], bool] | None = None  # instead of presenter.send

        outer = ttk.Frame(root)
        outer.pack(fill="both", expand=True)
        panes = ttk.Panedwindow(outer, orient="horizontal")
        panes.pack(fill="both", expand=True)
        panes.add(self._build_rooms(panes), weight=0)
        panes.add(self._build_centre(panes), weight=1)
        panes.add(self._build_members(panes), weight=0)
        self._build_status(outer)
        for number in range(1, 10):
            root.bind_all(f"<Alt-Key-{number}>", self._switch_number)
        # read-marker: what is on screen counts as read only while the window has the focus.
        root.bind("<FocusIn>", lambda e: self._focus(e, True), add="+")
        root.bind("<FocusOut>", lambda e: self._focus(e, False), add="+")
        self.input.focus_set()

    def _focus(self, event: tk.Event[tk.Misc], focused: bool) -> None:
        if (
            event.widget is self.root and self.presenter is not None
        ):  # the toplevel's own, not each child's
            self.presenter.focus_changed(focused)

    # -- building ------------------------------------------------------------------

    def _build_rooms(self, parent: tk.Misc) -> ttk.Frame:
        frame = ttk.Frame(parent, style="Sidebar.TFrame", width=190)
        top = ttk.Frame(frame, style="Sidebar.TFrame", padding=(12, 10, 8, 6))
        top.pack(fill="x")
        ttk.Label(top, text=APP_NAME, style="Brand.TLabel").pack(side="left")
        self.join_button = ttk.Button(
            top, text="+", width=2, style="Small.TButton", command=self.ask_join
        )
        self.join_button.pack(side="right")
        self.rooms = ttk.Treeview(
            frame, columns=("badge",), show="tree", style="Side.Treeview", selectmode="browse"
        )
        self.rooms.column("#0", width=130, stretch=True)
        self.rooms.column("badge", width=44, anchor="e", stretch=False)
        self.rooms.tag_configure("section", foreground=COLOURS["muted"], font=self.fonts.section)
        self.rooms.tag_configure("unread", font=self.fonts.ui_bold)
        self.rooms.tag_configure("mention", foreground=COLOURS["mention"])
        self.rooms.tag_configure("left", foreground=COLOURS["muted"])
        self.rooms.tag_configure("offline", foreground=COLOURS["muted"])
        for iid, heading in SECTIONS:
            self.rooms.insert("", "end", iid=f" {iid}", text=heading.upper(), open=True)
            self.rooms.item(f" {iid}", tags=("section",))
        self.rooms.pack(fill="both", expand=True, padx=(4, 0))
        self.rooms.bind("<<TreeviewSelect>>", self._on_room_selected)
        self.rooms.bind("<Button-3>", self._room_menu)
        self.room_menu = tk.Menu(self.rooms, tearoff=False)
        return frame

    def _build_centre(self, parent: tk.Misc) -> ttk.Frame:
        frame = ttk.Frame(parent)
        header = ttk.Frame(frame, padding=(16, 10, 16, 8))
        header.pack(fill="x")
        self.heading = ttk.Label(header, text=APP_NAME, style="Heading.TLabel")
        self.heading.pack(anchor="w")
        self.topic = ttk.Label(header, text="", style="Topic.TLabel", wraplength=520)
        self.topic.pack(anchor="w", fill="x")
        header.bind(
            "<Configure>", lambda e: self.topic.configure(wraplength=max(e.width - 32, 200))
        )
        ttk.Separator(frame).pack(fill="x")
        self.banner = ttk.Label(frame, text="", style="Banner.TLabel")
        body = ttk.Frame(frame)
        body.pack(fill="both", expand=True)
        self._body = body
        self.conversation = tk.Text(body, height=10, width=40, undo=False)
        configure_conversation(self.conversation, self.fonts)
        scroll = ttk.Scrollbar(body, orient="vertical", command=self.conversation.yview)
        self.conversation.configure(yscrollcommand=lambda a, b: self._scrolled(scroll, a, b))
        scroll.pack(side="right", fill="y")
        self.conversation.pack(side="left", fill="both", expand=True)
        self.conversation.configure(state="disabled")
        # A read-only Text still lets people select and copy.
        self.conversation.bind("<1>", lambda _e: self.conversation.focus_set())

        ttk.Separator(frame).pack(fill="x")
        bottom = ttk.Frame(frame, padding=(12, 8, 12, 10))
        bottom.pack(fill="x")
        self.send_button = ttk.Button(
            bottom, text="Send", style="Accent.TButton", command=self.send
        )
        self.send_button.pack(side="right", anchor="s", padx=(8, 0))
        self.input = tk.Text(
            bottom,
            height=1,
            width=30,
            wrap="word",
            font=self.fonts.text,
            relief="flat",
            padx=8,
            pady=6,
            background=COLOURS["bg"],
            foreground=COLOURS["text"],
            insertbackground=COLOURS["text"],
            highlightthickness=1,
            highlightbackground=COLOURS["line"],
            highlightcolor=COLOURS["accent"],
            undo=True,
        )
        self.input.pack(side="left", fill="x", expand=True)
        self.input.bind("<Return>", self._on_return)
        self.input.bind("<KP_Enter>", self._on_return)
        self.input.bind("<Shift-Return>", self._on_shift_return)
        self.input.bind("<Up>", self._on_up)
        self.input.bind("<Down>", self._on_down)
        self.input.bind("<Tab>", self._on_tab)
        self.input.bind("<KeyRelease>", self._on_key_release)
        return frame

    def _build_members(self, parent: tk.Misc) -> ttk.Frame:
        frame = ttk.Frame(parent, style="Sidebar.TFrame", width=170)
        self.members_heading = ttk.Label(
            frame, text="", style="Section.TLabel", font=self.fonts.section, padding=(12, 14, 8, 6)
        )
        self.members_heading.pack(fill="x")
        self.members = ttk.Treeview(frame, show="tree", style="Side.Treeview", selectmode="browse")
        self.members.column("#0", width=150)
        self.members.tag_configure("op", font=self.fonts.ui_bold)
        self.members.tag_configure("own", foreground=COLOURS["muted"])
        self.members.tag_configure("away", foreground=COLOURS["muted"])
        self.members.pack(fill="both", expand=True, padx=(4, 0))
        self.members.bind("<Double-1>", self._on_member_double)
        self.members.bind("<Return>", self._on_member_double)
        return frame

    def _build_status(self, parent: tk.Misc) -> None:
        bar = ttk.Frame(parent, style="Status.TFrame", padding=(10, 3))
        bar.pack(fill="x", side="bottom")
        self.status_dot = ttk.Label(bar, text="●", style="Dot.TLabel")
        self.status_dot.pack(side="left")
        self.status = ttk.Label(bar, text="", style="Status.TLabel")
        self.status.pack(side="left", padx=(4, 0))
        self.typing = ttk.Label(bar, text="", style="Status.TLabel", font=self.fonts.italic)
        self.typing.pack(side="left", padx=(16, 0))
        ttk.Label(bar, text=HINT, style="Status.TLabel").pack(side="right")

    # -- ChatView: drawing what the presenter says -------------------------------------

    def set_title(self, text: str) -> None:
        self.root.title(text)

    def set_buffers(self, rows: Sequence[BufferRow], active: str | None) -> None:
        tree = self.rooms
        wanted = {f"b:{row.key}": row for row in rows}
        for iid in list(self._row_names):
            if iid not in wanted:
                tree.delete(iid)
                del self._row_names[iid]
                self._rows.pop(iid, None)
        counters: dict[str, int] = {}
        for iid, row in wanted.items():
            parent = "" if row.section == "server" else f" {row.section}"
            index = counters.get(parent, 0)
            counters[parent] = index + 1
            if iid not in self._row_names:
                # The server row goes first; each buffer keeps the core's order.
                tree.insert(parent, index, iid=iid)
                self._row_names[iid] = row.key
            elif tree.parent(iid) != parent or tree.index(iid) != index:
                tree.move(iid, parent, index)
            if self._rows.get(iid) != row:
                tree.item(iid, text=row.label, values=(row.badge,), tags=row.tags)
                self._rows[iid] = row
        # Top level: the server row, then each section that has rows (an empty
        # section's heading is detached, i.e. hidden).
        top = [iid for iid, row in wanted.items() if row.section == "server"]
        top += [f" {iid}" for iid, _ in SECTIONS if tree.get_children(f" {iid}")]
        for index, iid in enumerate(top):
            tree.move(iid, "", index)
        for iid, _ in SECTIONS:
            if f" {iid}" not in top:
                tree.detach(f" {iid}")
        selected = f"b:{active}" if active is not None else None
        if selected in self._row_names and tree.selection() != (selected,):
            tree.selection_set(selected)
            tree.see(selected)

    def set_members(self, heading: str, rows: Sequence[MemberRow]) -> None:
        self.members_heading.configure(text=heading.upper())
        if list(rows) == self._members:
            return
        self._members = list(rows)
        self.members.delete(*self.members.get_children())
        for row in rows:
            tags: tuple[str, ...] = ("op",) if row.op else ()
            if row.own:
                tags += ("own",)
            if row.away:
                tags += ("away",)
            self.members.insert("", "end", iid=f"m:{row.nick}", text=row.label, tags=tags)

    def set_topic(self, heading: str, text: str) -> None:
        self.heading.configure(text=heading)
        self.topic.configure(text=text)

    def set_typing(self, text: str) -> None:
        self.typing.configure(text=text)

    def set_status(self, status: Status) -> None:
        self.status.configure(text=status.text)
        self.status_dot.configure(foreground=STATE_COLOURS.get(status.state, COLOURS["muted"]))

    def set_banner(self, text: str | None) -> None:
        if text:
            self.banner.configure(text=text)
            self.banner.pack(fill="x", before=self._body)
        else:
            self.banner.pack_forget()

    def show_lines(self, lines: Sequence[list[Segment]], *, replace: bool) -> None:
        text = self.conversation
        follow = replace or text.yview()[1] >= 0.999
        text.configure(state="normal")
        if replace:
            text.delete("1.0", "end")
        if lines:
            # One Tcl call for the whole batch: "" {} text1 tags1 text2 tags2 ...
            text.insert("end", "", (), *flatten(lines))
        # The text always ends with an empty line after the last newline.
        excess = int(text.index("end-1c").split(".")[0]) - 1 - MAX_LINES
        if excess > 0:
            text.delete("1.0", f"{excess + 1}.0")
        text.configure(state="disabled")
        if follow:
            text.see("end")

    def prepend_lines(self, lines: Sequence[list[Segment]]) -> None:
        text = self.conversation
        if not lines:
            return
        # Keep the line the user was reading at the top of the view.
        top = text.index("@0,0")
        text.configure(state="normal")
        text.insert("1.0", "", (), *flatten(lines))
        text.configure(state="disabled")
        row = int(top.split(".")[0]) + len(lines)
        text.yview(f"{row}.0")
        # The view moved off the top: the next arrival there asks again.
        self._at_top = False

    def ask_name(self, problem: str | None) -> None:
        def answer(name: str) -> str | None:
            if not name.strip():
                return "Please type a name."
            if self.presenter is not None:
                self.presenter.provide_nick(name.strip())
            return None

        self._open_dialog(
            AskDialog(
                self.root,
                "Choose a name",
                "Your name: how others see you in the chat.",
                answer,
                ok_text="Use this name",
                error=problem or "",
                _utest=self._utest,
            )
        )

    # -- user actions ----------------------------------------------------------------

    def _open_dialog(self, dialog: AskDialog) -> None:
        if self.dialog is not None and self.dialog.winfo_exists():
            self.dialog.destroy()
        self.dialog = dialog

    def ask_join(self) -> None:
        """The "+" button: ask which room to join."""

        def answer(room: str) -> str | None:
            return self.presenter.join(room) if self.presenter is not None else None

        self._open_dialog(
            AskDialog(
                self.root,
                "Join a room",
                "Which room? A new name creates the room.",
                answer,
                ok_text="Join",
                initial="#",
                _utest=self._utest,
            )
        )

    def send(self) -> None:
        """The Send button and Enter: hand the text to the presenter, then clear."""
        if self.presenter is None:
            return
        if (self.on_send or self.presenter.send)(self.input.get("1.0", "end-1c")):
            self.input.delete("1.0", "end")
            self._fit_input()
        self.input.focus_set()

    def _on_return(self, _event: tk.Event[tk.Misc]) -> str:
        self.send()
        return "break"

    def _on_shift_return(self, _event: tk.Event[tk.Misc]) -> str:
        self.input.insert("insert", "\n")
        self._fit_input()
        return "break"

    def _set_input(self, value: str) -> None:
        self.input.delete("1.0", "end")
        self.input.insert("1.0", value)
        self.input.mark_set("insert", "end-1c")
        self._fit_input()

    def _on_up(self, _event: tk.Event[tk.Misc]) -> str | None:
        # Up moves within a multi-line input; only on its first line does it recall.
        if self.presenter is None or self.input.compare("insert linestart", ">", "1.0"):
            return None
        value = self.presenter.history_previous(self.input.get("1.0", "end-1c"))
        if value is not None:
            self._set_input(value)
        return "break"

    def _on_down(self, _event: tk.Event[tk.Misc]) -> str | None:
        if self.presenter is None or self.input.compare("insert lineend", "<", "end-1c"):
            return None
        value = self.presenter.history_next()
        if value is not None:
            self._set_input(value)
        return "break"

    def _on_tab(self, _event: tk.Event[tk.Misc]) -> str:
        if self.presenter is None:
            return "break"
        line_start = self.input.index("insert linestart")
        line = self.input.get(line_start, "insert lineend")
        cursor = len(self.input.get(line_start, "insert"))
        result = self.presenter.complete(line, cursor)
        if result is not None:
            new_line, new_cursor = result
            self.input.delete(line_start, "insert lineend")
            self.input.insert(line_start, new_line)
            self.input.mark_set("insert", f"{line_start}+{new_cursor}c")
        return "break"

    def _on_key_release(self, _event: object) -> None:
        self._fit_input()
        if self.presenter is not None:
            self.presenter.input_changed(self.input.get("1.0", "end-1c"))

    def _fit_input(self) -> None:
        """Grow the input box with its text, up to INPUT_MAX_LINES lines."""
        counted = self.input.count("1.0", "end-1c", "displaylines")
        lines = (counted[0] if isinstance(counted, tuple) else counted or 0) + 1
        height = max(1, min(INPUT_MAX_LINES, lines))
        if int(self.input.cget("height")) != height:
            self.input.configure(height=height)

    def _on_room_selected(self, _event: tk.Event[tk.Misc]) -> None:
        selection = self.rooms.selection()
        if not selection or self.presenter is None:
            return
        name = self._row_names.get(selection[0])
        if name is None:  # a section heading
            return
        self.presenter.select(name)
        self.input.focus_set()

    def _room_menu(self, event: tk.Event[tk.Misc]) -> None:
        iid = self.rooms.identify_row(event.y)
        name = self._row_names.get(iid)
        row = self._rows.get(iid)
        if name is None or row is None or row.section == "server" or self.presenter is None:
            return
        presenter = self.presenter
        menu = self.room_menu
        menu.delete(0, "end")
        label = "Leave and close" if row.section == "rooms" else "Close chat"
        menu.add_command(label=f"{label} {row.label}", command=lambda: presenter.close_buffer(name))
        menu.tk_popup(event.x_root, event.y_root)

    def _on_member_double(self, _event: tk.Event[tk.Misc]) -> None:
        selection = self.members.selection()
        if selection and self.presenter is not None and selection[0].startswith("m:"):
            self.presenter.open_private(selection[0][2:])

    def _switch_number(self, event: tk.Event[tk.Misc]) -> str:
        if self.presenter is not None and event.keysym.isdigit():
            self.presenter.switch_number(int(event.keysym))
        return "break"

    def _scrolled(self, scroll: ttk.Scrollbar, first: str | float, last: str | float) -> None:
        scroll.set(first, last)
        # Reaching the top asks for older messages (once per arrival there).
        at_top = float(first) <= 0.0 and float(last) < 1.0
        if at_top and not self._at_top and self.presenter is not None and self.paging:
            self.presenter.load_older()
        self._at_top = at_top
