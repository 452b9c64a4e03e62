"""What the Tk presenter (:mod:`chatroom.ui.tk.presenter`) asks of the two
sides it joins: the window it draws on (:class:`ChatView`) and the client
core it drives (:class:`Runner`). Tests pass fakes of both."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from chatroom.client.core import ChatClient
from chatroom.ui.tk.formatting import BufferRow, MemberRow, Segment, Status


class ChatView(Protocol):
    """What the presenter asks of the window. Every call replaces what was shown
    before, except :meth:`show_lines` with ``replace=False``, which appends."""

    def set_title(self, text: str) -> None: ...

    def set_buffers(self, rows: Sequence[BufferRow], active: str | None) -> None:
        """The rooms list; ``active`` is the key of the row to select."""

    def set_members(self, heading: str, rows: Sequence[MemberRow]) -> None: ...

    def set_topic(self, heading: str, text: str) -> None: ...

    def set_status(self, status: Status) -> None: ...

    def set_typing(self, text: str) -> None:
        """Who is typing in the buffer shown ("alice is typing…"), in the status
        bar; empty: nobody."""

    def set_banner(self, text: str | None) -> None:
        """Show a warning bar above the conversation, or hide it (``None``)."""

    def show_lines(self, lines: Sequence[list[Segment]], *, replace: bool) -> None:
        """Append lines to the conversation, or replace it with them. The window
        keeps a bounded number of lines and scrolls to the newest, unless the
        user has scrolled up to read."""

    def prepend_lines(self, lines: Sequence[list[Segment]]) -> None:
        """Put older lines above the conversation, keeping in view the line the
        user was reading (they scrolled to the top to ask for these)."""

    def ask_name(self, problem: str | None) -> None:
        """Ask the user for a name; the answer goes to :meth:`Presenter.provide_nick`."""


class Runner(Protocol):
    """The thread-safe face of the client core (:class:`ClientThread`)."""

    def submit(self, text: str) -> None: ...

    def input_changed(self, text: str) -> None: ...

    def switch_to(self, target: str) -> None: ...

    def provide_nick(self, nick: str) -> None: ...

    def quit(self, reason: str | None = None) -> None: ...

    def call(self, function: Callable[[ChatClient], object]) -> None: ...

    def open_private(self, nick: str) -> None: ...

    def fetch_older(self, buffer: str, limit: int = 50) -> None: ...

    def mark_read(self, name: str | None = None) -> None: ...
