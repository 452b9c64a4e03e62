"""The response buffer: every reply to a command goes through one.

It is what makes IRCv3 labeled-response and batch work for every command
(https://ircv3.net/specs/extensions/labeled-response): at the end of the
command, the lines collected are sent with the client's ``label``:

- no line: ``ACK`` carrying the label;
- one line: that line carrying the label;
- several lines: wrapped in a ``labeled-response`` batch.

Handlers add lines with :meth:`ResponseBuffer.add`, :meth:`reply` (numerics)
and :meth:`fail` (standard replies), and may open nested batches.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from chatroom.protocol.line import Line

if TYPE_CHECKING:
    from chatroom.server.session import Session

_batch_ids = itertools.count(1)


def new_batch_id() -> str:
    """A batch reference tag unique within this process."""
    return f"b{next(_batch_ids)}"


def _middles(params: tuple[str, ...]) -> tuple[str, ...]:
    """Make echoed middle parameters carriable: one a client sent may be empty, hold a
    space or start with ':' ("NAMES #a,", "MODE #c +b :a b"), which IRC cannot carry
    before the last parameter; such a one is shown as "*"."""
    if len(params) < 2:
        return params
    middles = tuple("*" if not p or " " in p or p[0] == ":" else p for p in params[:-1])
    return (*middles, params[-1])


class ResponseBuffer:
    """Collects the replies to one command from one session."""

    __slots__ = ("_batches", "command", "deferred", "label", "lines", "session")

    def __init__(self, session: Session, label: str | None, command: str = "*") -> None:
        self.session = session
        self.command = command  # the command being answered, for FAIL replies
        self.label = label if label and "labeled-response" in session.caps else None
        self.lines: list[Line] = []
        self._batches: list[str] = []
        # A handler that answers later (after a thread or a storage query) sets
        # this; the dispatcher then leaves sending to the handler.
        self.deferred = False

    def add(self, line: Line) -> None:
        """Add a line (tags filtered per the client's caps when sent)."""
        if self._batches:
            line = Line(
                line.command, line.params, line.source, {**line.tags, "batch": self._batches[-1]}
            )
        self.lines.append(line)

    def reply(self, numeric: str, *params: str) -> None:
        """Add a numeric from the server, addressed to this client's nick."""
        session = self.session
        self.add(Line(numeric, (session.nick, *_middles(params)), session.server.config.name))

    def fail(self, command: str, code: str, *context_and_text: str) -> None:
        """Add a standard ``FAIL`` reply (https://ircv3.net/specs/extensions/standard-replies)."""
        self.add(
            Line(
                "FAIL",
                (command, code, *_middles(context_and_text)),
                self.session.server.config.name,
            )
        )

    def start_batch(self, kind: str, *params: str) -> str | None:
        """Open a batch if the client has the batch cap; return its id (or None)."""
        if "batch" not in self.session.caps:
            return None
        ref = new_batch_id()
        self.add(Line("BATCH", (f"+{ref}", kind, *params), self.session.server.config.name))
        self._batches.append(ref)
        return ref

    def end_batch(self, ref: str | None) -> None:
        """Close the batch ``ref`` opened by :meth:`start_batch` (None is a no-op)."""
        if ref is None:
            return
        self._batches.remove(ref)
        self.add(Line("BATCH", (f"-{ref}",), self.session.server.config.name))

    def send_now(self) -> None:
        """Send what is collected so far (before the connection is closed) and start over."""
        self.send()
        self.lines.clear()

    def send(self) -> None:
        """Send everything collected, labelled as the spec asks. Call once."""
        session = self.session
        lines = self.lines
        label = self.label
        if label is None:
            for line in lines:
                session.send_line(line)
            return
        if not lines:
            session.send_line(Line("ACK", (), session.server.config.name, {"label": label}))
        elif len(lines) == 1:
            only = lines[0]
            session.send_line(
                Line(only.command, only.params, only.source, {**only.tags, "label": label})
            )
        elif "batch" in session.caps:
            ref = new_batch_id()
            name = session.server.config.name
            session.send_line(
                Line("BATCH", (f"+{ref}", "labeled-response"), name, {"label": label})
            )
            for line in lines:
                tags = dict(line.tags)
                tags.setdefault("batch", ref)
                session.send_line(Line(line.command, line.params, line.source, tags))
            session.send_line(Line("BATCH", (f"-{ref}",), name))
        else:
            for line in lines:
                session.send_line(line)
