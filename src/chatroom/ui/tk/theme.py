"""How the Tk client looks: colours, fonts, the ttk style and the conversation's
text tags. The tag names are those :mod:`chatroom.ui.tk.formatting` emits.

Colours are chosen for contrast on white (WCAG AA for text, checked by a test
for the nick colours), never red for a nick (red means an error). Fonts are the
platform's own (Tk's named fonts), a size up from Tk's small default so the
conversation reads comfortably.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from tkinter import ttk

from chatroom.ui.tk.formatting import NICK_COLOUR_COUNT

COLOURS = {
    "bg": "#ffffff",
    "text": "#1f2328",
    "muted": "#636973",
    "sidebar": "#f2f3f6",
    "sidebar_text": "#2b3038",
    "line": "#dfe2e7",
    "accent": "#3566d6",
    "accent_dark": "#2a53b3",
    "accent_text": "#ffffff",
    "own_bg": "#f3f6fd",
    "mention_bg": "#fff4cc",
    "error": "#b3261e",
    "banner_bg": "#fdecea",
    "ok": "#2e9d5b",
    "busy": "#d48806",
    "down": "#b3261e",
    "badge": "#3566d6",
    "mention": "#b26a00",
}

NICK_COLOURS = (
    "#1a7f37",  # green
    "#8250df",  # violet
    "#0969da",  # blue
    "#bf3989",  # magenta
    "#a14f00",  # orange
    "#16707a",  # teal
    "#6a7300",  # olive
    "#8a4b12",  # brown
    "#3949ab",  # navy
    "#9c27b0",  # purple
)
assert len(NICK_COLOURS) == NICK_COLOUR_COUNT

STATE_COLOURS = {"ok": COLOURS["ok"], "busy": COLOURS["busy"], "down": COLOURS["down"]}

TEXT_SIZE = 11  # points: the conversation and the input
UI_SIZE = 10  # points: lists and labels


class Fonts:
    """The fonts the window uses, derived from the platform's defaults."""

    def __init__(self, root: tk.Misc) -> None:
        family = tkfont.nametofont("TkDefaultFont", root).actual("family")
        tkfont.nametofont("TkDefaultFont", root).configure(size=UI_SIZE)
        tkfont.nametofont("TkTextFont", root).configure(size=TEXT_SIZE)
        self.text = tkfont.Font(root, family=family, size=TEXT_SIZE)
        self.bold = tkfont.Font(root, family=family, size=TEXT_SIZE, weight="bold")
        self.italic = tkfont.Font(root, family=family, size=TEXT_SIZE, slant="italic")
        self.small = tkfont.Font(root, family=family, size=UI_SIZE - 1)
        self.ui = tkfont.Font(root, family=family, size=UI_SIZE)
        self.ui_bold = tkfont.Font(root, family=family, size=UI_SIZE, weight="bold")
        self.section = tkfont.Font(root, family=family, size=UI_SIZE - 1, weight="bold")
        self.heading = tkfont.Font(root, family=family, size=TEXT_SIZE + 2, weight="bold")


def apply_style(root: tk.Misc, fonts: Fonts) -> ttk.Style:
    """Configure ttk for the whole application (the "clam" theme, recoloured)."""
    style = ttk.Style(root)
    if "clam" in style.theme_names():
        style.theme_use("clam")
    c = COLOURS
    style.configure(".", background=c["bg"], foreground=c["text"], font=fonts.ui)
    style.configure("TFrame", background=c["bg"])
    style.configure("Sidebar.TFrame", background=c["sidebar"])
    style.configure("TLabel", background=c["bg"], foreground=c["text"])
    style.configure("Sidebar.TLabel", background=c["sidebar"], foreground=c["muted"])
    style.configure("Brand.TLabel", background=c["sidebar"], font=fonts.heading)
    style.configure("Section.TLabel", background=c["sidebar"], foreground=c["muted"])
    style.configure("Heading.TLabel", font=fonts.heading)
    style.configure("Topic.TLabel", foreground=c["muted"])
    style.configure("Status.TFrame", background=c["sidebar"])
    style.configure("Status.TLabel", background=c["sidebar"], foreground=c["muted"])
    style.configure("Dot.TLabel", background=c["sidebar"])
    style.configure("Error.TLabel", foreground=c["error"])
    style.configure(
        "Banner.TLabel",
        background=c["banner_bg"],
        foreground=c["error"],
        font=fonts.ui_bold,
        padding=(12, 6),
    )
    style.configure(
        "Accent.TButton",
        background=c["accent"],
        foreground=c["accent_text"],
        bordercolor=c["accent_dark"],
        font=fonts.ui_bold,
        padding=(14, 4),
    )
    style.map(
        "Accent.TButton",
        background=[("disabled", c["line"]), ("active", c["accent_dark"])],
        foreground=[("disabled", c["muted"])],
    )
    style.configure("Small.TButton", background=c["sidebar"], bordercolor=c["line"], padding=(6, 0))
    _style_panes_and_lists(style, fonts)
    return style


def _style_panes_and_lists(style: ttk.Style, fonts: Fonts) -> None:
    """The pane sash, the scrollbar and the sidebar's tree of rooms and people."""
    c = COLOURS
    style.configure("TPanedwindow", background=c["line"])
    style.configure("Sash", sashthickness=1, gripcount=0, background=c["line"])
    style.configure(
        "Vertical.TScrollbar",
        background=c["line"],
        troughcolor=c["bg"],
        bordercolor=c["bg"],
        lightcolor=c["line"],
        darkcolor=c["line"],
        arrowcolor=c["muted"],
        gripcount=0,
        arrowsize=12,
    )
    rowheight = fonts.ui.metrics("linespace") + 10
    style.configure(
        "Side.Treeview",
        background=c["sidebar"],
        fieldbackground=c["sidebar"],
        foreground=c["sidebar_text"],
        borderwidth=0,
        relief="flat",
        rowheight=rowheight,
        font=fonts.ui,
        indent=12,
    )
    style.configure("Side.Treeview.Item", padding=(10, 0, 0, 0))
    style.layout("Side.Treeview", [("Side.Treeview.treearea", {"sticky": "nswe"})])
    # Rows without the open/close triangle: sections are always open.
    style.layout(
        "Side.Treeview.Item",
        [
            (
                "Treeitem.padding",
                {
                    "sticky": "nswe",
                    "children": [
                        ("Treeitem.image", {"side": "left", "sticky": ""}),
                        ("Treeitem.text", {"side": "left", "sticky": ""}),
                    ],
                },
            )
        ],
    )
    style.map(
        "Side.Treeview",
        background=[("selected", c["accent"])],
        foreground=[("selected", c["accent_text"])],
    )


def configure_conversation(text: tk.Text, fonts: Fonts) -> None:
    """Text tags of the conversation: columns, colours, highlights.

    Tab stops make three columns (time, nick right-aligned, message), and
    ``lmargin2`` indents wrapped lines to the message column.
    """
    c = COLOURS
    margin = 12
    time_width = fonts.small.measure("00:00")
    # Room for a typical nick (most are under ten letters); longer ones push
    # their text one tab stop on, which stays readable.
    nick_end = margin + time_width + 12 + fonts.bold.measure("abcdefghij")
    text_start = nick_end + 12
    text.configure(
        font=fonts.text,
        background=c["bg"],
        foreground=c["text"],
        selectbackground="#cfdcf7",
        selectforeground=c["text"],
        inactiveselectbackground="#e1e8f8",
        wrap="word",
        padx=0,
        pady=6,
        borderwidth=0,
        highlightthickness=0,
        cursor="arrow",
        tabs=(nick_end, "right", text_start, "left"),
        spacing1=3,
        spacing3=3,
    )
    text.tag_configure("line", lmargin1=margin, lmargin2=text_start, rmargin=margin)
    text.tag_configure("time", foreground=c["muted"], font=fonts.small)
    text.tag_configure("nick", font=fonts.bold)
    for index, colour in enumerate(NICK_COLOURS):
        text.tag_configure(f"nick{index}", foreground=colour)
    text.tag_configure("action", font=fonts.italic)
    text.tag_configure("notice", foreground=c["muted"])
    text.tag_configure("event", foreground=c["muted"], font=fonts.small)
    text.tag_configure("error", foreground=c["error"])
    # History (replayed, read long ago) in the muted colour, over nick colours.
    text.tag_configure("history", foreground=c["muted"])
    # Backgrounds last: a later tag wins, and they must show over everything.
    text.tag_configure("own", background=c["own_bg"])
    text.tag_configure("mention", background=c["mention_bg"])
    text.tag_raise("sel")
