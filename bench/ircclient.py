"""One load-generating IRC client: an asyncio Protocol that registers, joins, sends stamped
messages and counts what arrives.

Life of a client: ``connection_made`` sends NICK and USER; on ``001`` it sends JOIN; once
``366`` (end of NAMES) came for each of its rooms, :attr:`BenchClient.ready` resolves. A
failure before that (an error numeric, ``ERROR``, the connection closing) makes ``ready``
raise :class:`ClientFailed` with a short reason that the report counts. After ``ready`` the
scenario calls :meth:`expect`, :meth:`schedule_sends` and, for a slow reader,
:meth:`stop_reading_at`.

The receive path is the generator's hot loop, so it avoids per-line Python work: complete
lines are counted with one ``bytes.count(b" PRIVMSG ")``, and only when that count differs
from the number of line endings (a PING, a JOIN, a numeric) are lines split and looked at.
Only ``sample`` clients parse stamps.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import cast

from bench import stamp
from bench.plan import ClientSpec

#: A line longer than this without an ending is a broken server; the client gives up.
MAX_PARTIAL_LINE = 65536

_PRIVMSG = b" PRIVMSG "
#: Numerics in 400..599 that are not failures: 422 is "MOTD File is missing".
_HARMLESS_ERRORS = frozenset({b"422"})


#: Longest JOIN line the client writes (the limit is 512 with CR LF; leave room for a source).
MAX_JOIN_LINE = 400


def _join_lines(rooms: list[str]) -> bytes:
    """JOIN lines for ``rooms``, several rooms per line, each line under MAX_JOIN_LINE."""
    lines: list[bytes] = []
    current: list[bytes] = []
    for room in rooms:
        encoded = room.encode()
        if current and len(b",".join([*current, encoded])) + 7 > MAX_JOIN_LINE:
            lines.append(b"JOIN " + b",".join(current) + b"\r\n")
            current = []
        current.append(encoded)
    if current:
        lines.append(b"JOIN " + b",".join(current) + b"\r\n")
    return b"".join(lines)


class ClientFailed(Exception):
    """A client could not register or join; ``str()`` is the reason the report counts."""


class Tally:
    """Counters shared by every client of one worker (one event loop, so no locking).

    ``outstanding`` is the number of clients that have not yet received all they expect;
    :attr:`all_received` is set when it reaches zero.
    """

    def __init__(self, max_samples: int = 0) -> None:
        self.received = 0
        self.sent = 0
        self.first_send_ns = 0
        self.last_recv_ns = 0
        self.latencies_ns: list[int] = []
        #: The same samples again, by the label of the receiver that took them (if any).
        self.labelled_ns: dict[str, list[int]] = {}
        self.max_samples = max_samples
        self.samples_dropped = 0
        self.duplicates = 0
        #: The nick whose QUIT the clients watch for (the slow reader's), and when one of
        #: them first saw it: the server's word that it dropped that client.
        self.watch_nick: bytes | None = None
        self.quit_seen_ns = 0
        self.outstanding = 0
        self.all_received = asyncio.Event()
        self.disconnects: Counter[str] = Counter()

    def note_sent(self, count: int, now_ns: int) -> None:
        """Record ``count`` messages written at ``now_ns``."""
        if not self.first_send_ns:
            self.first_send_ns = now_ns
        self.sent += count


class BenchClient(asyncio.Protocol):
    """One IRC connection of the load generator; see the module docstring for its life."""

    def __init__(self, spec: ClientSpec, tally: Tally, loop: asyncio.AbstractEventLoop) -> None:
        self.spec = spec
        self.tally = tally
        self.loop = loop
        self.ready: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.received = 0
        self.expected = -1
        self.sent = 0
        self.closed = False
        self.drop_ns = 0
        self.paused_ns = 0
        rooms = spec.room.split(",")
        self._room = rooms[0].encode()
        self._joins = _join_lines(rooms)
        self._pending_names = len(rooms)
        self._tail = b""
        self._registered = False
        self._run_start = 0.0
        self._msg_bytes = 0
        self._timers: list[asyncio.TimerHandle] = []
        #: (sender, seq) of every message a sample client parsed, to spot duplicates.
        self._seen: set[tuple[int, int]] = set()

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start registration: NICK and USER in one write."""
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = transport = cast(asyncio.Transport, transport)
        nick = self.spec.nick.encode()
        transport.write(b"NICK %s\r\nUSER %s 0 * :chatroom bench\r\n" % (nick, nick))

    def data_received(self, data: bytes) -> None:
        """Count PRIVMSG lines; hand any other line to :meth:`_handle_line`."""
        if self._tail:
            data = self._tail + data
        end = data.rfind(b"\n") + 1
        if end == 0:
            self._tail = data
            if len(data) > MAX_PARTIAL_LINE:
                self._fail("line too long")
            return
        if end == len(data):
            self._tail = b""
        else:
            self._tail = data[end:]
            data = data[:end]
        count = data.count(_PRIVMSG)
        if count:
            now = time.monotonic_ns()
            tally = self.tally
            tally.received += count
            tally.last_recv_ns = now
            self.received += count
            if self.spec.sample:
                self._sample(data, now)
            if self.received >= self.expected >= 0 and self.received - count < self.expected:
                tally.outstanding -= 1
                if tally.outstanding <= 0:
                    tally.all_received.set()
        if count != data.count(b"\n"):
            for line in data.split(b"\n"):
                if line and _PRIVMSG not in line:
                    self._handle_line(line.rstrip(b"\r"))

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail registration if it was under way; otherwise count the disconnect."""
        self.closed = True
        for timer in self._timers:
            timer.cancel()
        if not self.ready.done():
            reason = "connection closed before joining"
            if exc is not None:
                reason = f"connection lost before joining ({type(exc).__name__})"
            self.ready.set_exception(ClientFailed(reason))
            return
        if self.spec.slow:
            self.drop_ns = time.monotonic_ns()
        elif self.expected >= 0:
            self.tally.disconnects[type(exc).__name__ if exc else "closed by server"] += 1

    # -- the slow path: registration, PING, errors ------------------------------------------

    def _handle_line(self, line: bytes) -> None:
        if line.startswith(b"@"):
            line = line.partition(b" ")[2]
        source = b""
        if line.startswith(b":"):
            source, _, line = line.partition(b" ")
        command, _, rest = line.partition(b" ")
        command = command.upper()
        if command == b"QUIT":
            watched = self.tally.watch_nick
            if watched and not self.tally.quit_seen_ns and source[1:].startswith(watched + b"!"):
                self.tally.quit_seen_ns = time.monotonic_ns()
        elif command == b"PING":
            self._write(b"PONG " + rest + b"\r\n")
        elif command == b"001" and not self._registered:
            self._registered = True
            self._write(self._joins)
        elif command == b"366" and self._registered and not self.ready.done():
            self._pending_names -= 1
            if self._pending_names <= 0:
                self.ready.set_result(None)
        elif command == b"ERROR":
            self._fail("ERROR " + rest.decode(errors="replace")[:60])
        elif (
            not self.ready.done()
            and len(command) == 3
            and command[:1] in b"45"
            and command.isdigit()
            and command not in _HARMLESS_ERRORS
        ):
            self._fail(f"numeric {command.decode()}")

    def _fail(self, reason: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(ClientFailed(reason))
        self.abort()

    def _sample(self, data: bytes, now: int) -> None:
        tally = self.tally
        room = len(tally.latencies_ns) < tally.max_samples
        for line in data.split(b"\n"):
            if _PRIVMSG not in line:
                continue
            if not room:
                tally.samples_dropped += 1
                continue
            found = stamp.parse_line(line)
            if found is not None:
                key = (found.sender, found.seq)
                if key in self._seen:
                    tally.duplicates += 1
                self._seen.add(key)
                tally.latencies_ns.append(now - found.sent_ns)
                if self.spec.label:
                    tally.labelled_ns.setdefault(self.spec.label, []).append(now - found.sent_ns)
                room = len(tally.latencies_ns) < tally.max_samples

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    # -- what a scenario asks of a ready client ---------------------------------------------

    def expect(self, count: int) -> None:
        """Reset counters and expect ``count`` messages; -1 means "do not track me"."""
        self.received = 0
        self.sent = 0
        self._seen.clear()
        self.expected = count
        if count > 0:
            self.tally.outstanding += 1

    def schedule_sends(self, start: float, msg_bytes: int) -> None:
        """Plan this client's sends from loop time ``start`` as its spec says."""
        self._run_start = start
        self._msg_bytes = msg_bytes
        spec = self.spec
        if spec.sends <= 0:
            return
        if spec.interval_s <= 0:
            self._timers.append(self.loop.call_at(start, self._send_burst))
        else:
            self._timers.append(self.loop.call_at(start + spec.offset_s, self._send_next))

    def _message(self, now: int) -> bytes:
        text = stamp.format_text(self.spec.gid, self.sent, now, self._msg_bytes)
        self.sent += 1
        return b"PRIVMSG " + self._room + b" :" + text + b"\r\n"

    def _send_burst(self) -> None:
        if self.closed:
            return
        now = time.monotonic_ns()
        count = self.spec.sends
        self._write(b"".join([self._message(now) for _ in range(count)]))
        self.tally.note_sent(count, now)

    def _send_next(self) -> None:
        if self.closed or self.sent >= self.spec.sends:
            return
        now = time.monotonic_ns()
        self._write(self._message(now))
        self.tally.note_sent(1, now)
        if self.sent < self.spec.sends:
            # Schedule from the planned start, not from now, so timer lag does not drift.
            when = self._run_start + self.spec.offset_s + self.sent * self.spec.interval_s
            self._timers.append(self.loop.call_at(when, self._send_next))

    def stop_reading_at(self, start: float, probe_every_s: float = 1.0) -> None:
        """At loop time ``start``, stop reading; then write a PING every ``probe_every_s``.

        A server that dropped us has closed its socket, so a probe draws a reset and
        ``connection_lost`` records when the drop was noticed.
        """

        def pause() -> None:
            if self.transport is not None and not self.closed:
                self.transport.pause_reading()
                self.paused_ns = time.monotonic_ns()
                probe()

        def probe() -> None:
            if self.closed:
                return
            self._write(b"PING :probe\r\n")
            self._timers.append(self.loop.call_later(probe_every_s, probe))

        self._timers.append(self.loop.call_at(start, pause))

    def cancel_timers(self) -> None:
        """Stop any planned sends and probes."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def quit(self) -> None:
        """Say QUIT and close (buffered data is flushed first)."""
        self.cancel_timers()
        if self.transport is not None and not self.closed:
            self.transport.write(b"QUIT :bench done\r\n")
            self.transport.close()

    def abort(self) -> None:
        """Close the connection at once, dropping anything buffered."""
        self.cancel_timers()
        if self.transport is not None and not self.closed:
            self.transport.abort()
