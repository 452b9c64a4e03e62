"""One client connection: its identity, capabilities, limits and queues.

A session knows nothing of sockets. It talks to a :class:`Transport` (an
asyncio transport fits as is) and to its server, as a :class:`Host`.
Bytes in go through :meth:`Session.feed`; bytes out are queued with
:meth:`Session.send_bytes` and written once per event-loop turn by the server.
A large reply is pulled a chunk at a time as the client reads
(:meth:`Session.send_stream`), so what waits for a client stays bounded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chatroom.errors import InputTooLong, InvalidUtf8, LocalProtocolError, MalformedLine
from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold
from chatroom.protocol.decoder import LineDecoder
from chatroom.protocol.line import Line, format_tags, parse
from chatroom.protocol.masks import mask_matches
from chatroom.server.addresses import host_of
from chatroom.server.flood import TokenBucket
from chatroom.server.host import Host, Transport
from chatroom.server.multiline import CONCAT, Pending
from chatroom.server.outgoing import Segment, filter_tags, joined, profile_for, rendered
from chatroom.server.regstate import RegEvent, RegState, next_state

if TYPE_CHECKING:
    import asyncio

    from chatroom.server.logins import SaslAttempt
    from chatroom.server.reactions import ReactionLimiter
    from chatroom.server.room import Room
    from chatroom.server.typing_limit import TypingLimiter


log = logging.getLogger("chatroom.server")

_STORED_COMMANDS = frozenset({"PRIVMSG", "NOTICE"})

MAX_SPELLS = 8
"""Earlier spells of holding a nick a session remembers, and nicks it remembers them for."""

STREAM_CHUNK = 16 * 1024
"""Bytes of a streamed reply queued per event-loop turn: small enough that other
clients are served between chunks, big enough to fill a fast reader's socket."""

LINES_PER_TOKEN = 10
"""Flood control charges a large reply one line token per this many lines sent."""

# The empty set every session starts with, shared (since Python 3.10, each frozenset()
# is a new object).
_EMPTY: frozenset[Any] = frozenset()


class Session:
    """A connected client, registered or not."""

    # Slots, not a __dict__: a server holds tens of thousands of sessions, and a dict
    # of this many attributes costs about 2 KB more per session (docs/performance.md).
    # Every attribute is set in __init__; add a new one here too.
    # fmt: off
    __slots__ = (
        "_held", "_paused", "_pending", "_pump_handle", "_queued", "_resume_handle",
        "_streamed", "_streams", "_tail", "account", "account_created", "address", "after_stores",
        "away", "blocked", "cap_version", "caps", "channels", "closed", "connected_at",
        "decoder", "flood", "folded_nick", "history_since", "host", "invited", "last_message",
        "last_recv", "modes", "multiline", "nick", "nick_spells", "nick_timer",
        "operator_name", "password_ok", "pending_stores", "ping_pending", "port",
        "quit_reason", "reactions", "read_markers", "realname", "registration", "sasl",
        "secure", "server", "signon", "tag_profile", "transport", "typing", "user",
        "writing_paused",
    )
    # fmt: on

    def __init__(
        self,
        server: Host[Session],
        transport: Transport,
        address: str,
        port: int,
        *,
        secure: bool = False,
    ) -> None:
        config = server.config
        now = server.now()
        self.server = server
        self.transport = transport
        self.address = address
        self.port = port
        self.secure = secure
        self.host = host_of(address)
        self.decoder = LineDecoder()
        self.nick = "*"
        self.folded_nick = ""
        self.user = ""
        self.realname = ""
        self.registration = RegState.START  # changed only by advance()
        self.cap_version = 0
        self.password_ok = not config.password
        # caps, modes and invited are replaced, not changed, so that a session
        # shares the one empty frozenset until it has some (a set costs 216 bytes).
        self.caps: frozenset[str] = _EMPTY
        self.tag_profile = 0
        self.modes: frozenset[str] = _EMPTY
        self.away: str | None = None
        self.operator_name: str | None = None
        self.account: str | None = None  # the account logged in to (SASL or REGISTER)
        self.read_markers: dict[str, datetime] = {}  # MARKREAD without an account
        self.channels: set[Room[Session]] = set()
        self.invited: frozenset[Room[Session]] = _EMPTY  # channels it was INVITEd to
        self.connected_at = now
        self.signon = int(time.time())
        # Private history is keyed by nick, and nicks change hands: a session reads only
        # what was said while it held its nick (see private_windows). history_since is
        # when it took its current nick; nick_spells the earlier times it held others.
        self.history_since = datetime.now(UTC)
        self.nick_spells: dict[str, list[tuple[datetime, datetime]]] = {}
        self.account_created: datetime | None = None  # of the account logged in to
        self.last_message = now  # for WHOIS idle time
        self.last_recv = now
        self.typing: TypingLimiter | None = None  # made at its first +typing
        self.reactions: ReactionLimiter | None = None  # made at its first reaction
        self.multiline: Pending | None = None  # a draft/multiline batch being received
        self.ping_pending = False
        self.closed = False
        self.quit_reason = ""
        self.flood: TokenBucket | None = (
            TokenBucket(config.flood_burst, config.flood_rate, now)
            if config.flood_enabled
            else None
        )
        self._paused = False
        self._resume_handle: object | None = None
        self._pending: list[bytes | Segment] = []
        self._queued = 0  # bytes in _pending, not counting segments
        self._tail: Segment | None = None  # the segment last in _pending, while open
        # Replies sent as the client reads; rarely more than one, so a list (56 bytes
        # empty) rather than a deque (760).
        self._streams: list[Iterator[Line]] = []
        self._pump_handle: object | None = None
        self._streamed = 0  # lines of streams sent and not yet charged to flood control
        self.writing_paused = False  # the transport's buffer is full: wait for it to drain
        self.pending_stores = 0  # messages sent but not yet stored and relayed
        self.after_stores: Callable[[], None] | None = None  # e.g. announcing its QUIT
        self.blocked = 0  # answers pending (a login check) that every next line waits for
        self.sasl: SaslAttempt | None = None
        self.nick_timer: asyncio.TimerHandle | None = None  # taking back a registered nick
        self._held: Line | None = None

    # -- identity -----------------------------------------------------------

    @property
    def registered(self) -> bool:
        """Whether the client finished registering (001 was sent)."""
        return self.registration is RegState.REGISTERED

    def advance(self, event: RegEvent) -> None:
        """Move through registration by the table of :mod:`chatroom.server.regstate`;
        raise :class:`~chatroom.errors.LocalProtocolError` on a step it does not allow."""
        self.registration = next_state(self.registration, event)

    @property
    def source(self) -> str:
        """``nick!user@host``: how this user appears as a message source."""
        return f"{self.nick}!{self.user}@{self.host}"

    @property
    def identity(self) -> tuple[str, str, str, str, str | None]:
        """Everything a ban mask can match on: when it changes, a cached ban answer
        is stale (see :meth:`Channel.is_banned`)."""
        return (self.nick, self.user, self.host, self.address, self.account)

    def matches(self, mask: str) -> bool:
        """True if a ``nick!user@host`` mask matches this user, by host or by address
        (they differ only for IPv6, whose host gets a leading '0')."""
        if mask_matches(mask, self.source):
            return True
        return self.host != self.address and mask_matches(
            mask, f"{self.nick}!{self.user}@{self.address}"
        )

    def took_nick(self, previous: str) -> None:
        """This registered session now holds its nick, until now ``previous`` (folded,
        ``""`` at registration): close the spell it held ``previous`` and start one."""
        now = datetime.now(UTC)
        if previous:
            spells = self.nick_spells.pop(previous, [])
            spells.append((self.history_since, now))
            # Bounded: forgetting an old spell only hides some of its own history.
            self.nick_spells[previous] = spells[-MAX_SPELLS:]
            while len(self.nick_spells) > MAX_SPELLS:
                del self.nick_spells[next(iter(self.nick_spells))]
        self.history_since = now

    def private_windows(self) -> list[tuple[datetime, datetime | None]]:
        """The times whose private messages of its current nick this session may read
        (``None``: until now).

        Without an account: only while the session itself held the nick, so it sees
        what it sent and received and nothing said to an earlier holder. Logged in to
        the account named like the nick: also everything since the account was
        created (the nick was protected from then on; other clients of the account
        share it).
        """
        windows: list[tuple[datetime, datetime | None]] = list(
            self.nick_spells.get(self.folded_nick, ())
        )
        windows.append((self.history_since, None))
        created = self.account_created
        if created is not None and self.account and casefold(self.account) == self.folded_nick:
            windows.append((created, None))
        return windows

    @property
    def invisible(self) -> bool:
        return "i" in self.modes

    @property
    def is_operator(self) -> bool:
        return "o" in self.modes

    def set_mode(self, mode: str, on: bool) -> bool:
        """Set or unset a user mode ('i' or 'o'); return whether it changed. Keeps the
        server's counts (for LUSERS) in step, so nobody has to count users one by one."""
        if on == (mode in self.modes):
            return False
        self.modes = self.modes | {mode} if on else self.modes - {mode}
        if self.registered:
            self.server.user_mode_changed(mode, on)
        return True

    def set_caps(self, caps: Iterable[str]) -> None:
        """Replace the enabled capabilities and refresh the tag profile."""
        self.caps = frozenset(caps)
        profile = profile_for(self.caps)
        if profile != self.tag_profile:
            # What was relayed before the change keeps the tags it was relayed with.
            self._tail = None
            self._pending = [*rendered(self._pending, self, self.tag_profile)]
        self.tag_profile = profile

    # -- input ----------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Take bytes from the peer and process whole lines (respecting flood control)."""
        self.last_recv = self.server.now()
        self.ping_pending = False
        self.decoder.receive_data(data)
        self.process()
        # What flood control left unprocessed must stay bounded.
        if self.decoder.queued_bytes > self.server.config.recvq and not self.closed:
            self.server.disconnect(self, "Excess Flood")

    def process(self) -> None:
        """Handle queued lines until none is left, the flood bucket is empty, or a
        line must wait for this session's messages to be stored (see below)."""
        self._resume_handle = None
        decoder = self.decoder
        flood = self.flood
        server = self.server
        while not self.closed:
            line = self._held
            if line is None:
                if not decoder.has_line:
                    break
                if flood is not None and not flood.take(server.now()):
                    server.metrics.flood_delays += 1
                    self._pause(flood.wait())
                    return
                line = self._next_line()
                if line is None:
                    continue
            # Messages are relayed once stored; anything else this client sends
            # (QUIT, PART, NICK...) waits for them, so it cannot overtake them.
            # And every line waits for a streamed reply to be sent in full, so that
            # its replies come after it, and one client has one big reply at a time.
            if (
                self.blocked
                or self._streams
                or (self.pending_stores and line.command not in _STORED_COMMANDS)
            ):
                self._held = line
                if not self._paused:
                    self._paused = True
                    self.transport.pause_reading()
                return
            self._held = None
            server.dispatch(self, line)
        if self._paused:
            self._paused = False
            self.transport.resume_reading()

    def _next_line(self) -> Line | None:
        """The next parsed line, or None after answering a line we refuse."""
        try:
            text = self.decoder.next_line()
        except InputTooLong:
            self.send_numeric(n.ERR_INPUTTOOLONG, "Input line was too long")
            return None
        except InvalidUtf8 as exc:
            self._fail(exc.command, "INVALID_UTF8", "Message rejected, it contained invalid UTF-8")
            return None
        if text is None:
            return None
        try:
            return parse(text)
        except MalformedLine as exc:
            self._fail("*", "INVALID_LINE", str(exc))
            return None

    def _fail(self, command: str, code: str, text: str) -> None:
        self.send_line(Line("FAIL", (command, code, text), self.server.config.name))

    def stored(self) -> None:
        """One of this session's messages has been stored (and relayed)."""
        self.pending_stores -= 1
        if not self.pending_stores and self.after_stores is not None:
            callback, self.after_stores = self.after_stores, None
            callback()
        self._go_on()

    def unblock(self) -> None:
        """An answer that held this session's next lines has been sent."""
        self.blocked -= 1
        self._go_on()

    def _go_on(self) -> None:
        idle = not self.pending_stores and not self.blocked and not self._streams
        if idle and self._held is not None and not self.closed:
            self.process()

    def check_alive(self, now: float, ping: bytes) -> None:
        """The periodic sweep: drop a client that never registered or went silent;
        ``ping`` one that has been idle (any line it sends answers)."""
        config = self.server.config
        if not self.registered:
            if now - self.connected_at > config.registration_timeout:
                self.server.disconnect(self, "Registration timed out")
            return
        idle = now - self.last_recv
        if idle > config.ping_interval + config.ping_timeout:
            self.server.disconnect(self, f"Ping timeout: {int(idle)} seconds")
        elif idle > config.ping_interval and not self.ping_pending:
            self.ping_pending = True
            self.send_bytes(ping)

    def _pause(self, delay: float) -> None:
        if not self._paused:
            self._paused = True
            self.transport.pause_reading()
        if self._resume_handle is None:
            self._resume_handle = self.server.call_later(delay, self.process)

    # -- output ---------------------------------------------------------------

    def send_bytes(self, data: bytes) -> None:
        """Queue bytes; they are written at the end of this event-loop turn."""
        if self.closed:
            return
        if not self._pending:
            self.server.mark_dirty(self)
        elif self._tail is not None:
            self._tail.open = False  # nothing more may go in before ``data``
            self._tail = None
        self._pending.append(data)
        self._queued += len(data)

    def queue_segment(self, segment: Segment) -> None:
        """Queue a channel's shared :class:`~chatroom.server.outgoing.Segment`: the
        messages added to it while it is open reach this session at this point."""
        if self.closed:
            return
        pending = self._pending
        if not pending:
            self.server.mark_dirty(self)
        elif self._tail is not None:
            self._tail.open = False
        self._tail = segment
        pending.append(segment)

    def send_stream(self, lines: Iterable[Line]) -> None:
        """Send ``lines`` as the client reads: a chunk (:data:`STREAM_CHUNK`) per
        event-loop turn while the transport takes them, none while it is full
        (between :meth:`pause_writing` and :meth:`resume_writing`). Until the last
        line is sent, this client's next commands wait; each :data:`LINES_PER_TOKEN`
        lines cost a flood-control token, so big replies cost what they weigh."""
        if self.closed:
            return
        self._streams.append(iter(lines))
        self._pump()

    def pause_writing(self) -> None:
        """The transport's buffer is over its high-water mark (asyncio's flow control)."""
        self.writing_paused = True

    def resume_writing(self) -> None:
        """The transport drained to its low-water mark: streamed replies go on."""
        self.writing_paused = False
        self._schedule_pump()

    def charge(self, lines: float) -> None:
        """Make flood control count ``lines`` more lines from this client (work it
        caused: a reply sent, users scanned); its next lines wait accordingly."""
        if self.flood is not None and lines > 0:
            self.flood.charge(self.server.now(), lines)

    def _schedule_pump(self) -> None:
        if self._pump_handle is None and self._streams and not self.closed:
            self._pump_handle = self.server.call_later(0, self._pump)

    def _pump(self) -> None:
        """Queue the next chunk of streamed replies (the flush after it schedules the
        chunk after that)."""
        self._pump_handle = None
        if self.closed or self.writing_paused:
            return
        streams = self._streams
        sent = 0
        chunk = min(STREAM_CHUNK, self.server.config.sendq // 4)
        while streams and self._queued < chunk:
            try:
                line = next(streams[0])
            except StopIteration:
                del streams[0]
                continue
            except Exception:
                # A bug must cost one reply, not the connection (nor stop its input).
                log.exception("Internal error streaming a reply to %s", self.source)
                del streams[0]
                self._fail("*", "INTERNAL_ERROR", "Something went wrong on the server")
                continue
            self.send_line(line)
            sent += 1
        if sent:
            # A client that takes its reply is alive, even if its own lines wait.
            self.last_recv = self.server.now()
            self._streamed += sent
            if self._streamed >= LINES_PER_TOKEN:
                self.charge(self._streamed // LINES_PER_TOKEN)
                self._streamed %= LINES_PER_TOKEN
        if not streams:
            self._go_on()

    def send_line(self, line: Line) -> None:
        """Queue one line, keeping only the tags this client's caps allow.

        A line IRC cannot carry (a bug: it should have been refused earlier) is logged
        and dropped, never allowed to take the connection down.
        """
        try:
            self._send_line(line)
        except LocalProtocolError:
            log.exception("Dropped a line that cannot be sent to %s: %r", self.source, line)

    def _send_line(self, line: Line) -> None:
        if line.tags:
            tags = filter_tags(line.tags, self.tag_profile)
            for key in ("batch", "label", CONCAT):
                if key in line.tags:
                    tags[key] = line.tags[key]
            if tags:
                self.send_bytes(
                    b"@" + format_tags(tags).encode() + b" " + line.to_bytes(tags=False)
                )
                return
        self.send_bytes(line.to_bytes(tags=False))

    def send_numeric(self, numeric: str, *params: str) -> None:
        """Queue a numeric reply from the server to this client (outside any command)."""
        self.send_line(Line(numeric, (self.nick, *params), self.server.config.name))

    def flush(self) -> bool:
        """Write what is queued. Return False if the send queue overflowed."""
        if not self._pending:
            return True
        self._tail = None
        data = joined(self._pending, self, self.tag_profile)
        self._pending = []
        self._queued = 0
        if data:  # a segment of only this session's own messages renders empty
            self.transport.write(data)  # may call pause_writing()
        if self._streams and not self.writing_paused:
            self._schedule_pump()
        return self.transport.get_write_buffer_size() <= self.server.config.sendq
