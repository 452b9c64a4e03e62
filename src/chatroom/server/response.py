"""The response buffer: every reply to a command goes through one.

It is what makes IRCv3 labeled-response and batch work for every command
(https://ircv3.net/specs/extensions/labeled-response): at the end of the
command, the lines collected are sent with the client's ``label``:

- no line: ``ACK`` carrying the label;
- one line: that line carrying the label;
- several lines: wrapped in a ``labeled-response`` batch.

Handlers add lines with :meth:`ResponseBuffer.add`, :meth:`reply` (numerics)
and :meth:`fail` (standard replies), and may open nested batches. A reply that
may be large (LIST, WHO, NAMES, CHATHISTORY) is added with :meth:`stream`: its
lines are made as the client reads them, never all at once.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from chatroom.protocol.line import Line

if TYPE_CHECKING:
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")

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

    __slots__ = ("_batches", "_parts", "command", "deferred", "label", "lines", "session")

    def __init__(self, session: Session, label: str | None, command: str = "*") -> None:
        self.session = session
        self.command = command  # the command being answered, for FAIL replies
        self.label = label if label and "labeled-response" in session.caps else None
        self.lines: list[Line] = []
        # After the first stream(): what follows it, streams and lines, in order.
        self._parts: list[Iterable[Line]] = []
        self._batches: list[str] = []
        # A handler that answers later (after a thread or a storage query) sets
        # this; the dispatcher then leaves sending to the handler.
        self.deferred = False

    def defer(self, work: Callable[[], Awaitable[None]], *, block: bool = False) -> None:
        """Answer later: run ``work`` (which fills this buffer) beside the loop, then
        send. The handler returns at once; the dispatcher leaves sending to this.

        The reply is always sent and, with ``block`` (the session's next lines wait
        for this answer, e.g. a login), the session always goes on, whatever fails.
        """
        session = self.session
        self.deferred = True
        if block:
            session.blocked += 1

        async def run() -> None:
            try:
                await work()
            except Exception:
                log.exception("Internal error answering %s from %s", self.command, session.source)
                self.fail(self.command, "INTERNAL_ERROR", "Something went wrong on the server")
            finally:
                if not session.closed:
                    self.send()
                if block:
                    session.unblock()

        session.server.spawn(run())

    def add(self, line: Line) -> None:
        """Add a line (tags filtered per the client's caps when sent)."""
        if self._batches:
            line = _tagged(line, "batch", self._batches[-1])
        if self._parts:
            self._parts.append((line,))
        else:
            self.lines.append(line)

    def stream(self, lines: Iterable[Line]) -> None:
        """Add lines that are made only as the client reads them (see
        :meth:`Session.send_stream`), so a reply of any size neither waits whole in
        memory nor overflows the SendQ. ``lines`` is iterated over later, between
        other work: it must iterate over a snapshot, not over a live dict."""
        if self._batches:
            ref = self._batches[-1]
            lines = (_in_batch(line, ref) for line in lines)
        self._parts.append(lines)

    def clear(self) -> None:
        """Forget every line added so far (a handler failed half-way)."""
        self.lines.clear()
        self._parts.clear()

    def reply(self, numeric: str, *params: str) -> None:
        """Add a numeric from the server, addressed to this client's nick."""
        self.add(self.numeric(numeric, *params))

    def numeric(self, numeric: str, *params: str) -> Line:
        """A numeric from the server to this client, as :meth:`reply` adds it (for
        :meth:`stream`)."""
        session = self.session
        return Line(numeric, (session.nick, *_middles(params)), session.server.config.name)

    def fail(self, command: str, code: str, *context_and_text: str) -> None:
        """Add a standard ``FAIL`` reply (https://ircv3.net/specs/extensions/standard-replies)."""
        self.add(
            Line(
                "FAIL",
                (command, code, *_middles(context_and_text)),
                self.session.server.config.name,
            )
        )

    def start_batch(self, kind: str, *params: str, whole: bool = False) -> str | None:
        """Open a batch if the client has the batch cap; return its id (or None).

        ``whole``: this batch is the whole reply (nothing is added before it or after
        it is closed). The client's label then goes on the ``BATCH +`` line itself
        instead of a ``labeled-response`` batch around it: labeled-response allows
        both, and some clients (irc-framework, behind Kiwi IRC) drop the messages of
        a batch nested in another.
        """
        if "batch" not in self.session.caps:
            return None
        ref = new_batch_id()
        tags: dict[str, str] = {}
        if whole and self.label is not None and not (self.lines or self._parts or self._batches):
            tags["label"], self.label = self.label, None
        self.add(Line("BATCH", (f"+{ref}", kind, *params), self.session.server.config.name, tags))
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
        self.clear()

    def send(self) -> None:
        """Send everything collected, labelled as the spec asks. Call once."""
        session = self.session
        if not self._parts:
            for line in self._labelled(iter(self.lines)):
                session.send_line(line)
        else:
            session.send_stream(self._labelled(itertools.chain(self.lines, *self._parts)))

    def _labelled(self, lines: Iterator[Line]) -> Iterator[Line]:
        """``lines`` with the client's label: on an ``ACK`` for none, on the line
        itself for one, on a ``labeled-response`` batch around several. Only the
        first two lines are taken to decide; the rest stay lazy."""
        label = self.label
        if label is None:
            return lines
        name = self.session.server.config.name
        head = list(itertools.islice(lines, 2))
        if not head:
            return iter((Line("ACK", (), name, {"label": label}),))
        if len(head) == 1:
            return iter((_tagged(head[0], "label", label),))
        if "batch" not in self.session.caps:
            return itertools.chain(head, lines)
        ref = new_batch_id()
        return itertools.chain(
            (Line("BATCH", (f"+{ref}", "labeled-response"), name, {"label": label}),),
            (_in_batch(line, ref) for line in itertools.chain(head, lines)),
            (Line("BATCH", (f"-{ref}",), name),),
        )


def _tagged(line: Line, key: str, value: str) -> Line:
    return Line(line.command, line.params, line.source, {**line.tags, key: value})


def _in_batch(line: Line, ref: str) -> Line:
    """``line`` in batch ``ref``, unless it is already in a batch nested in it."""
    return line if "batch" in line.tags else _tagged(line, "batch", ref)
