"""The search window (Ctrl+F, or the 🔍 button): words to find, an "only in this
room" box, and the matches, newest first (time, room, who, text). Double-click
or Enter on a match opens its conversation at that message (the core's
``CHATHISTORY AROUND``), highlighted.

The server searches (soju.im/search, see :mod:`chatroom.client.search`); this
window sends the words and lists the :class:`~chatroom.client.search.SearchResults`
that come back.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from datetime import tzinfo
from tkinter import ttk

from chatroom.client.search import SearchHit, SearchResults
from chatroom.ui.tk.annotations import shorten

Search = Callable[[str, str | None], None]
"""``search(words, room or None)``."""
Open = Callable[[SearchHit], None]


def result_rows(hits: Sequence[SearchHit], tz: tzinfo | None = None) -> list[tuple[str, ...]]:
    """The matches as rows (time, room, who, text), newest first."""
    ordered = sorted(hits, key=lambda hit: hit.time, reverse=True)
    return [
        (
            hit.time.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            hit.where,
            hit.sender,
            shorten(hit.text, 120),
        )
        for hit in ordered
    ]


def results_status(results: SearchResults) -> str:
    count = len(results.hits)
    if not count:
        return f"No messages found for “{results.text}”."
    return f"{count} message{'s' if count != 1 else ''} found for “{results.text}”."


class SearchPanel(tk.Toplevel):
    """The search window. ``room`` is the room on screen (for "only in")."""

    def __init__(self, parent: tk.Misc, room: str | None, search: Search, open_hit: Open) -> None:
        super().__init__(parent)
        self.title("Search the history")
        self.transient(parent.winfo_toplevel())
        self.geometry("640x380")
        self._search = search
        self._open = open_hit
        self.hits: list[SearchHit] = []
        frame = ttk.Frame(self, padding=12)
        frame.pack(fill="both", expand=True)
        top = ttk.Frame(frame)
        top.pack(fill="x")
        self.entry = ttk.Entry(top)
        self.entry.pack(side="left", fill="x", expand=True)
        self.entry.bind("<Return>", lambda _e: self.search())
        self.button = ttk.Button(top, text="Search", style="Accent.TButton", command=self.search)
        self.button.pack(side="left", padx=(8, 0))
        self.only_room = tk.BooleanVar(self, value=False)
        self.room = room
        self.only = ttk.Checkbutton(
            frame, text=f"Only in {room}" if room else "Only in this room", variable=self.only_room
        )
        if room is None:
            self.only.state(["disabled"])
        self.only.pack(anchor="w", pady=(6, 6))
        self.results = ttk.Treeview(
            frame, columns=("time", "room", "who", "text"), show="headings", selectmode="browse"
        )
        for column, heading, width in (
            ("time", "Time", 120),
            ("room", "Room", 90),
            ("who", "Who", 80),
            ("text", "Message", 320),
        ):
            self.results.heading(column, text=heading, anchor="w")
            self.results.column(column, width=width, stretch=column == "text")
        self.results.pack(fill="both", expand=True)
        self.results.bind("<Double-1>", lambda _e: self.open_selected())
        self.results.bind("<Return>", lambda _e: self.open_selected())
        self.status = ttk.Label(frame, text="Type words to find, then Enter.")
        self.status.pack(anchor="w", pady=(6, 0))
        self.bind("<Escape>", lambda _e: self.destroy())
        self.entry.focus_set()

    def search(self) -> None:
        words = self.entry.get().strip()
        if not words:
            self.status.configure(text="Type the words to find first.")
            return
        room = self.room if self.only_room.get() else None
        self.status.configure(text=f"Searching for “{words}”…")
        self._search(words, room)

    def show(self, results: SearchResults) -> None:
        """The server's answer: list it, newest first."""
        self.hits = sorted(results.hits, key=lambda hit: hit.time, reverse=True)
        self.results.delete(*self.results.get_children())
        for index, row in enumerate(result_rows(self.hits)):
            self.results.insert("", "end", iid=str(index), values=row)
        self.status.configure(text=results_status(results))
        if self.hits:
            self.results.selection_set("0")
            self.results.focus("0")

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.results.item(i, "values")) for i in self.results.get_children()]

    def open_selected(self) -> None:
        selection = self.results.selection()
        if selection and selection[0].isdigit() and int(selection[0]) < len(self.hits):
            self._open(self.hits[int(selection[0])])
