"""What the conversation widget adds around the message lines the presenter
draws: the quote above a reply, the reaction chips under a message (click one to
toggle it), image thumbnails, and the highlight of a message opened from search.

Each message line carries the tag ``m:<msgid>`` (:func:`message_line`); this
module finds lines by it and inserts its own lines next to them, tagged so a
second pass changes nothing (``q:`` a quote, ``rx:`` a reaction row, ``th:`` a
thumbnail). A redraw by the presenter wipes them; the same batch's events then
bring them back (:class:`~chatroom.ui.tk.annotations.MessageIndex`).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Iterable

from chatroom.client.model import Message
from chatroom.ui.tk.annotations import (
    MessageIndex,
    message_tag,
    quote_line,
    reaction_label,
)
from chatroom.ui.tk.formatting import flatten
from chatroom.ui.tk.theme import COLOURS, Fonts

Toggle = Callable[[str, str], None]
"""``toggle(msgid, reaction)``: the user clicked a reaction chip."""


class MessageDecorations:
    """Quotes, reactions, thumbnails and highlights in the conversation ``text``."""

    def __init__(self, text: tk.Text, fonts: Fonts, index: MessageIndex, toggle: Toggle) -> None:
        self.text = text
        self.index = index
        self.toggle = toggle
        self._chips: dict[str, tuple[str, str]] = {}  # chip tag -> (msgid, reaction)
        self._chip_tags: dict[tuple[str, str], str] = {}
        self.images: dict[str, tk.PhotoImage] = {}  # link -> thumbnail (kept alive)
        c = COLOURS
        text.tag_configure("quote", foreground=c["muted"], font=fonts.small, spacing3=0)
        text.tag_configure("reactions", font=fonts.text, spacing1=0)
        text.tag_configure("chip", background=c["sidebar"], foreground=c["text"])
        text.tag_configure("chip_mine", background="#dbe6fb", foreground=c["accent_dark"])
        text.tag_configure("found", background="#ffe08a")
        text.tag_bind("chip", "<Button-1>", self._chip_clicked)
        text.tag_bind("chip", "<Enter>", lambda _e: text.configure(cursor="hand2"))
        text.tag_bind("chip", "<Leave>", lambda _e: text.configure(cursor="arrow"))
        for tag in ("quote", "reactions", "chip", "chip_mine", "found"):
            text.tag_raise(tag)
        text.tag_raise("sel")

    # -- finding lines ------------------------------------------------------------------

    def line_range(self, msgid: str) -> tuple[str, str] | None:
        """Start and end (after its newline) of the message line with ``msgid``."""
        ranges = self.text.tag_ranges(message_tag(msgid))
        return (str(ranges[0]), str(ranges[-1])) if ranges else None

    def msgid_at(self, x: int, y: int) -> str | None:
        """The msgid of the message (or its quote, reactions) at pixel ``x, y``."""
        for tag in self.text.tag_names(f"@{x},{y}"):
            if tag.startswith(("m:", "q:", "rx:", "th:")):
                return str(tag).partition(":")[2]
        return None

    # -- drawing ------------------------------------------------------------------------

    def decorate(self, messages: Iterable[Message]) -> None:
        """Add what belongs around each of ``messages`` now on screen."""
        wanted = [
            m
            for m in messages
            if m.msgid and (m.reply_to or m.msgid in self.index.reactions or m.msgid in self.images)
        ]
        if not wanted:
            return
        with self._editing():
            for message in wanted:
                assert message.msgid is not None
                if message.reply_to:
                    self._quote(message)
                self._reactions(message.msgid)
                self._thumbnail(message.msgid)

    def reactions_changed(self, msgid: str) -> None:
        """Redraw the reaction row of ``msgid`` (if its message is on screen)."""
        if self.line_range(msgid) is not None:
            with self._editing():
                self._reactions(msgid)

    def _quote(self, message: Message) -> None:
        assert message.msgid is not None and message.reply_to is not None
        found = self.line_range(message.msgid)
        if found is None or self.text.tag_ranges(f"q:{message.msgid}"):
            return
        line = quote_line(self.index.get(message.reply_to), message)
        self.text.insert(found[0], "", (), *flatten([line]))

    def _reactions(self, msgid: str) -> None:
        text = self.text
        row = f"rx:{msgid}"
        old = text.tag_ranges(row)
        if old:
            text.delete(old[0], old[-1])
        reactions = self.index.reactions.get(msgid, ())
        found = self.line_range(msgid)
        if not reactions or found is None:
            return
        segments: list[str | tuple[str, ...]] = ["\t\t", ("line", "reactions", row)]
        for reaction in reactions:
            chip = self._chip_tag(msgid, reaction.text)
            style = ("chip", "chip_mine") if reaction.mine else ("chip",)
            segments += [reaction_label(reaction), ("line", "reactions", row, *style, chip)]
            segments += [" ", ("line", "reactions", row)]
        segments += ["\n", ("line", "reactions", row)]
        text.insert(self._after(msgid, found[1]), "", (), *segments)

    def _after(self, msgid: str, end: str) -> str:
        """Where a reaction row goes: under the line, below its thumbnail if any."""
        thumb = self.text.tag_ranges(f"th:{msgid}")
        return str(thumb[-1]) if thumb else end

    def _chip_tag(self, msgid: str, reaction: str) -> str:
        key = (msgid, reaction)
        tag = self._chip_tags.get(key)
        if tag is None:
            tag = self._chip_tags[key] = f"rk:{len(self._chip_tags)}"
            self._chips[tag] = key
        return tag

    def _chip_clicked(self, _event: object) -> str:
        for tag in self.text.tag_names("current"):
            if str(tag) in self._chips:
                self.toggle(*self._chips[str(tag)])
                break
        return "break"

    def add_thumbnail(self, msgid: str, link: str, image: tk.PhotoImage) -> None:
        """Show ``image`` (the thumbnail of ``link``) under the message ``msgid``."""
        self.images[msgid] = image
        self.images[link] = image
        if self.line_range(msgid) is not None:
            with self._editing():
                self._thumbnail(msgid)

    def _thumbnail(self, msgid: str) -> None:
        image = self.images.get(msgid)
        found = self.line_range(msgid)
        if image is None or found is None or self.text.tag_ranges(f"th:{msgid}"):
            return
        tag = f"th:{msgid}"
        self.text.insert(found[1], "\t\t", ("line", tag), "\n", ("line", tag))
        self.text.image_create(f"{found[1]}+2c", image=image, padx=2, pady=4)
        self.text.tag_add(tag, f"{found[1]}+2c")
        self.text.tag_add("line", f"{found[1]}+2c")

    def highlight(self, msgid: str) -> bool:
        """Mark the message ``msgid`` (a search result) and scroll to it."""
        self.text.tag_remove("found", "1.0", "end")
        found = self.line_range(msgid)
        if found is None:
            return False
        self.text.tag_add("found", *found)
        self.text.see(found[0])
        return True

    # -- helpers -------------------------------------------------------------------------

    def _editing(self) -> _Editing:
        return _Editing(self.text)


class _Editing:
    """Make the read-only conversation writable for a moment, and keep following
    the newest line if it did before."""

    def __init__(self, text: tk.Text) -> None:
        self.text = text
        self.follow = False

    def __enter__(self) -> None:
        self.follow = self.text.yview()[1] >= 0.999
        self.text.configure(state="normal")

    def __exit__(self, *_exc: object) -> None:
        self.text.configure(state="disabled")
        if self.follow:
            self.text.see("end")
