"""The message menu (right-click a message: Reply, React, Copy, Delete) and the
reply bar above the input ("Replying to bob: …  ✕").

Widgets only; what each entry does is the :class:`Actions`' (in the app:
:class:`~chatroom.ui.tk.features.Features`, plain calls on the core), and which
entries are offered is :func:`~chatroom.ui.tk.annotations.delete_allowed`'s.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Protocol

from chatroom.client.model import BufferView
from chatroom.ui.tk.annotations import QUICK_REACTIONS, MessageIndex, delete_allowed, quote_text
from chatroom.ui.tk.dialogs import AskDialog


class Actions(Protocol):
    """What the menu's entries do, and what it needs to know to offer them."""

    @property
    def index(self) -> MessageIndex: ...

    def msgid_at(self, x: int, y: int) -> str | None: ...

    def where(self) -> tuple[BufferView | None, str | None]:
        """The buffer on screen and the user's nick (is "Delete" allowed?)."""
        ...

    def start_reply(self, msgid: str) -> None: ...

    def react(self, msgid: str, reaction: str) -> None: ...

    def delete(self, msgid: str) -> None: ...


class ReplyBar:
    """A thin bar above the input while a reply is being written."""

    def __init__(self, parent: tk.Misc, before: tk.Misc, cancel: Callable[[], None]) -> None:
        self.frame = ttk.Frame(parent, padding=(14, 4, 12, 0))
        self._before = before
        self.label = ttk.Label(self.frame, text="", style="Topic.TLabel")
        self.label.pack(side="left", fill="x", expand=True)
        self.cancel_button = ttk.Button(
            self.frame, text="✕", width=2, style="Small.TButton", command=cancel
        )
        self.cancel_button.pack(side="right")
        self.shown = False

    def show(self, text: str) -> None:
        self.label.configure(text=text)
        if not self.shown:
            self.frame.pack(fill="x", before=self._before)
            self.shown = True

    def hide(self) -> None:
        if self.shown:
            self.frame.pack_forget()
            self.shown = False

    @property
    def text(self) -> str:
        return str(self.label.cget("text")) if self.shown else ""


class MessageMenu:
    """The right-click menu of the conversation's messages."""

    def __init__(self, features: Actions, text: tk.Text, *, _utest: bool = False) -> None:
        self.features = features
        self.text = text
        self._utest = _utest
        self.menu = tk.Menu(text, tearoff=False)
        self.react_menu = tk.Menu(self.menu, tearoff=False)
        self.dialog: AskDialog | None = None
        self.msgid: str | None = None  # of the message the menu is about
        text.bind("<Button-3>", self._popup)

    def build(self, msgid: str) -> bool:
        """Fill the menu for the message ``msgid``; False when it offers nothing
        (a line from the server, a message without msgid)."""
        features = self.features
        message = features.index.get(msgid)
        if message is None or message.sender is None or message.deleted:
            return False
        self.msgid = msgid
        menu, react = self.menu, self.react_menu
        menu.delete(0, "end")
        react.delete(0, "end")
        menu.add_command(label="Reply", command=lambda: features.start_reply(msgid))
        for emoji in QUICK_REACTIONS:
            react.add_command(label=emoji, command=_reacting(features, msgid, emoji))
        react.add_separator()
        react.add_command(label="Other…", command=lambda: self.ask_reaction(msgid))
        menu.add_cascade(label="React", menu=react)
        menu.add_command(label="Copy text", command=lambda: self._copy(message.text))
        view, nick = features.where()
        if delete_allowed(message, view, nick):
            menu.add_separator()
            menu.add_command(label="Delete", command=lambda: features.delete(msgid))
        return True

    def labels(self) -> list[str]:
        """The entries now in the menu (for tests and for the docs)."""
        end = self.menu.index("end")
        entries = range(0, (end if end is not None else -1) + 1)
        return [
            str(self.menu.entrycget(i, "label"))
            for i in entries
            if self.menu.type(i) != "separator"
        ]

    def invoke(self, label: str) -> None:
        """Choose ``label`` in the menu, as a click would."""
        self.menu.invoke(self.labels_index(label))

    def labels_index(self, label: str) -> int:
        end = self.menu.index("end") or 0
        for i in range(end + 1):
            if self.menu.type(i) != "separator" and self.menu.entrycget(i, "label") == label:
                return i
        raise KeyError(label)

    def _popup(self, event: tk.Event[tk.Misc]) -> str:
        msgid = self.features.msgid_at(event.x, event.y)
        if msgid is not None and self.build(msgid):
            self.menu.tk_popup(event.x_root, event.y_root)
        return "break"

    def ask_reaction(self, msgid: str) -> None:
        """ "Other…": ask for any reaction (an emoji, or a short word)."""

        def answer(value: str) -> str | None:
            value = value.strip()
            if not value or len(value) > 20 or " " in value:
                return "One emoji or a short word, please."
            self.features.react(msgid, value)
            return None

        if self.dialog is not None and self.dialog.winfo_exists():
            self.dialog.destroy()
        original = self.features.index.get(msgid)
        self.dialog = AskDialog(
            self.text.winfo_toplevel(),
            "React",
            f"React to {quote_text(original).removeprefix('↪ ')}",
            answer,
            ok_text="React",
            _utest=self._utest,
        )

    def _copy(self, value: str) -> None:
        self.text.clipboard_clear()
        self.text.clipboard_append(value)


def _reacting(features: Actions, msgid: str, emoji: str) -> Callable[[], None]:
    return lambda: features.react(msgid, emoji)
