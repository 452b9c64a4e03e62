"""The chat core: who is connected, which channels exist, and how lines flow.

The :class:`Server` owns the registry of sessions and channels, dispatches
each incoming line through the command table it is given (the composition
passes :data:`chatroom.server.commands.table.COMMANDS`: the core never imports
the handlers), and writes queued output once per event-loop turn (coalesced
writes, see PERFORMANCE.md). It never touches sockets: transports call
:meth:`Server.connect`, :meth:`Session.feed` and :meth:`Server.connection_lost`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chatroom.protocol import numerics as n
from chatroom.protocol.caps import SUPPORTED
from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.protocol.sasl import MECHANISMS
from chatroom.server import admission, events, monitoring, multiline
from chatroom.server.channel import Channel
from chatroom.server.config import Config
from chatroom.server.host import Transport
from chatroom.server.logins import Auth
from chatroom.server.metrics import Metrics
from chatroom.server.mirror import is_orphan
from chatroom.server.network import Network
from chatroom.server.network.events import NickChange, Quit
from chatroom.server.network.local import LocalNetwork
from chatroom.server.outgoing import Outgoing, format_time
from chatroom.server.registry import Registry
from chatroom.server.regstate import RegEvent
from chatroom.server.response import ResponseBuffer
from chatroom.server.session import Session
from chatroom.server.watchlist import Watchlist
from chatroom.storage.accounts import AccountStore
from chatroom.storage.base import HistoryStore

log = logging.getLogger("chatroom.server")

CLOSE_GRACE = 5.0
"""Seconds a dropped client has to read its ERROR line before the connection is cut."""


Handler = Callable[["Server", Session, Line, ResponseBuffer], None]
"""What runs a command: ``handler(server, session, line, rb)``, replying through ``rb``."""


@dataclass(frozen=True)
class Command:
    """A verb's handler and the checks :meth:`Server.dispatch` runs before it."""

    handler: Handler
    min_params: int = 0  # fewer: ERR_NEEDMOREPARAMS
    pre_registration: bool = False  # else before registration: ERR_NOTREGISTERED
    oper_only: bool = False  # and the user is no operator: ERR_NOPRIVILEGES


class Server:
    """The state of one chat server process."""

    def __init__(
        self,
        config: Config,
        loop: asyncio.AbstractEventLoop | None = None,
        history: HistoryStore | None = None,
        accounts: AccountStore | None = None,
        *,
        commands: Mapping[str, Command],
    ) -> None:
        self.config = config
        self.commands = commands  # verb -> handler and checks (commands/table.py)
        self.loop = loop or asyncio.get_event_loop()
        self.history = history
        self.accounts = accounts
        self.auth = Auth()
        self.metrics = Metrics()  # what the operator sees (chatroom.web.metrics)
        self.upload_url = ""  # soju.im/FILEHOST when files.url is unset (web/upload.py)
        # The caps offered; chathistory (and its event playback) only when there is
        # history to read.
        self.caps: dict[str, str] = dict(SUPPORTED)
        if history is not None:
            self.caps["draft/chathistory"] = self.caps["draft/event-playback"] = ""
            self.caps["soju.im/search"] = ""
        self.caps[multiline.CAP] = multiline.cap_value(
            config.multiline_max_bytes, config.multiline_max_lines
        )
        if accounts is not None:
            self.caps["sasl"] = ",".join(MECHANISMS)
            if config.registration_open:  # before-connect only if the config says so
                self.caps["draft/account-registration"] = (
                    "before-connect" if config.registration_before_connect else ""
                )
        # Read markers of accounts when there is no history store (commands/readmarker.py).
        self.read_markers: dict[tuple[str, str], datetime] = {}
        self.created = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        self.sessions: set[Session] = set()
        # Users, channels, WHOWAS, server bans and counters: changed only through
        # the registry's methods (which keep their rules); read here, as views.
        self.registry = Registry(config.whowas)
        self.users = self.registry.users  # folded nick -> registered session
        self.channels = self.registry.channels  # folded name -> channel
        self.watchlist: Watchlist[Session] = Watchlist()  # MONITOR: who watches whom
        self.per_address: dict[str, int] = {}
        self.closing = False
        self._dirty: list[Session] = []
        self._flush_scheduled = False
        self._sweeper: asyncio.TimerHandle | None = None
        self._live: set[Session] = set()  # sessions whose transport is still open
        self._all_closed = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()  # replies waiting on a query
        self.motd = config.motd_text()
        # The other processes of the network: the Redis bridge with ``--cluster``
        # (set before any client connects), else a network of this process alone.
        self.network: Network = LocalNetwork(config.name, self.users)
        # msgids: a random per-boot prefix and a counter, unique across restarts.
        self._msgid_prefix = secrets.token_hex(5)
        self._msgid_counter = itertools.count(1)
        if config.default_room:
            room = self.get_or_create_channel(config.default_room)
            room.permanent = True

    # -- time and scheduling (the only asyncio the core uses) -----------------

    def now(self) -> float:
        return self.loop.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return self.loop.call_later(delay, callback)

    def defer(
        self, rb: ResponseBuffer, work: Callable[[], Awaitable[None]], *, block: bool = False
    ) -> None:
        """Answer later: see :meth:`ResponseBuffer.defer`."""
        rb.defer(work, block=block)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run work that awaits (a storage query, a password check) beside the loop,
        keeping the task referenced until it ends; shutdown cancels what is left."""
        task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def start(self) -> None:
        """Start the periodic sweep (ping and registration timeouts)."""
        if self._sweeper is None:
            self._sweep_interval = min(
                5.0, self.config.ping_interval / 3, self.config.registration_timeout / 3
            )
            self._sweeper = self.loop.call_later(self._sweep_interval, self._sweep)

    # -- connections -------------------------------------------------------------

    def reserve(self, address: str) -> str | None:
        """Count a connection from ``address`` against ``max_per_address`` from its first
        byte, while a handshake (HTTP, WebSocket) comes before its session; return
        why it is refused (then close it, nothing counted), or None.

        The transport must then either :meth:`connect` with ``reserved=True``, which
        takes the count over, or :meth:`release` it when the handshake fails. Otherwise
        one address could hold any number of unfinished handshakes (issue 14).
        """
        if self.closing:
            return admission.SHUTTING_DOWN
        refused = admission.too_many(self.config, self.per_address, address)
        if refused is None:
            admission.count(self.per_address, address)
        return refused

    def release(self, address: str) -> None:
        """Give back a :meth:`reserve` whose handshake never became a session."""
        admission.uncount(self.per_address, address)

    def connect(
        self,
        transport: Transport,
        address: str,
        port: int,
        *,
        secure: bool = False,
        reserved: bool = False,
    ) -> Session | None:
        """Accept a new connection; None (and the transport closed) if refused.

        ``reserved``: ``address`` was counted by :meth:`reserve` (its handshake is
        done); the session takes that count over, or gives it back if refused.
        """
        if reserved:
            self.release(address)  # counted again below, by the same rule as everyone
        reason = admission.SHUTTING_DOWN if self.closing else None
        reason = reason or admission.refusal(
            self.config, self.per_address, address, secure=secure, sessions=len(self.sessions)
        )
        if reason is not None:
            log.info("Refused a connection from %s:%s: %s", address, port, reason)
            transport.write(f"ERROR :Closing Link: {address} ({reason})\r\n".encode())
            transport.close()
            return None
        session = Session(self, transport, address, port, secure=secure)
        self.sessions.add(session)
        self._live.add(session)
        admission.count(self.per_address, address)
        log.info("Accepted a new connection from %s:%s", address, port)
        return session

    def connection_lost(self, session: Session, error: str | None = None) -> None:
        """The transport closed (by us or the peer)."""
        if not session.closed:
            reason = session.quit_reason or (
                f"Read error: {error}" if error else "Connection closed"
            )
            self._remove(session, reason)
        self._live.discard(session)
        if self.closing and not self._live:
            self._all_closed.set()
        address, port, reason = session.address, session.port, session.quit_reason
        log.info("%s:%s has closed the connection (%s)", address, port, reason)

    def disconnect(
        self, session: Session, reason: str, *, error: str | None = None, abort: bool = False
    ) -> None:
        """Drop a session: tell it why (``ERROR``), tell its peers (``QUIT``), close.

        The connection gets :data:`CLOSE_GRACE` seconds to take its last bytes; one that
        does not read them (or any with ``abort``, e.g. SendQ exceeded) is cut at once,
        so its buffers are freed rather than kept for a reader that never comes.
        """
        if session.closed:
            return
        if not abort:
            text = error if error is not None else reason
            session.send_bytes(
                Line("ERROR", (f"Closing Link: {session.host} ({text})",)).to_bytes()
            )
            session.flush()
        self._remove(session, reason)
        if abort:
            session.transport.abort()
            return
        session.transport.close()
        self.call_later(CLOSE_GRACE, lambda: self._abort_if_open(session))

    def _abort_if_open(self, session: Session) -> None:
        if session in self._live:
            session.transport.abort()

    def _remove(self, session: Session, reason: str) -> None:
        session.quit_reason = reason
        if session.registered:
            quit_line = Outgoing(Line("QUIT", (reason,), session.source, self.tags(by=session)))
            peers = self.peers_of(session)
            network = self.network
            folded = session.folded_nick
            channels = tuple(c.folded for c in session.channels)

            def announce() -> None:
                for peer in peers:
                    peer.send_bytes(quit_line.render(peer.tag_profile))
                network.publish(Quit(folded, channels, quit_line.line))
                network.release_nick(folded)
                monitoring.offline(self.watchlist, session.nick)

            if session.pending_stores:
                # Its last messages are still being stored: they go out first.
                session.after_stores = announce
            else:
                announce()
            events.record(
                self.history, self.new_msgid, quit_line.line, session.account, session.channels
            )
            for channel in list(session.channels):
                self.part_channel(session, channel)
            self.forget_nick(session)
            self.watchlist.clear(session)
        session.closed = True
        self.sessions.discard(session)
        self.release(session.address)

    # -- output: coalesced per event-loop turn ------------------------------------

    def mark_dirty(self, session: Session) -> None:
        self._dirty.append(session)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write every session's queued output (one write per session)."""
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, []
        for session in dirty:
            if not session.closed and not session.flush():
                self.metrics.sendq_drops += 1
                self.disconnect(session, "SendQ exceeded", abort=True)

    # -- names -------------------------------------------------------------------

    def find_user(self, nick: str) -> Session | None:
        return self.users.get(casefold(nick))

    def claim_nick(self, session: Session, nick: str) -> None:
        """Give ``nick`` to a session (the caller checked it is free)."""
        if session.registered:
            previous = self.registry.rename(session, nick)
            if previous != session.folded_nick:
                session.took_nick(previous)
        else:
            session.nick = nick
            session.folded_nick = casefold(nick)
            session.advance(RegEvent.NICK)

    def forget_nick(self, session: Session) -> None:
        """A registered user leaves: out of the registry, into WHOWAS."""
        if self.registry.unregister(session):
            self.remember(session.nick, session.user, session.host, session.realname)

    def remember(self, nick: str, user: str, host: str, realname: str) -> None:
        """WHOWAS remembers a nick that left now (quit or changed), here or on
        another process of the network."""
        self.registry.remember(nick, user, host, realname)

    def user_mode_changed(self, mode: str, on: bool) -> None:
        """A registered user got (``on``) or lost user mode ``mode`` (for LUSERS)."""
        self.registry.count_mode(mode, on)

    def rename(self, session: Session, new: str) -> Line:
        """Rename a registered user (the caller checked ``new`` is valid and free), tell
        everyone who shares a channel, and return the NICK line for the user."""
        out = Outgoing(Line("NICK", (new,), session.source, self.tags(by=session)))
        old = session.folded_nick
        self.remember(session.nick, session.user, session.host, session.realname)
        self.claim_nick(session, new)
        self.send_to(self.peers_of(session), out)
        events.record(self.history, self.new_msgid, out.line, session.account, session.channels)
        memberships = tuple((c.folded, c.members[session]) for c in session.channels)
        self.network.publish(NickChange(old, new, session.source, memberships, out.line))
        if old != session.folded_nick:
            self.network.release_nick(old)
        monitoring.renamed(self.watchlist, out.line)
        return out.line

    def nick_in_use(self, nick: str, by: Session | None = None) -> bool:
        """Whether another session (here, or on another process of the network) has
        ``nick``. With a network, the atomic claim comes after this quick check."""
        folded = casefold(nick)
        owner = self.users.get(folded)
        if owner is not None and owner is not by:
            return True
        return folded in self.network.view.users

    def get_or_create_channel(self, name: str) -> Channel:
        return self.registry.channel(name)

    def find_channel(self, name: str) -> Channel | None:
        return self.channels.get(casefold(name))

    def part_channel(self, session: Session, channel: Channel) -> None:
        """Remove a member; drop the channel when empty (unless permanent, or it has
        members on other processes: then it stays, as their state's mirror)."""
        channel.remove(session)
        session.channels.discard(channel)
        if is_orphan(channel, self.network.view):
            self.registry.remove_channel(channel)

    # -- fan-out ------------------------------------------------------------------

    @property
    def msgid_prefix(self) -> str:
        """The start of every msgid this process made since it started (so a process
        catching up from shared history can tell its own messages apart)."""
        return self._msgid_prefix

    def new_msgid(self) -> str:
        """A message id unique on this server (message-ids spec)."""
        return f"{self._msgid_prefix}{next(self._msgid_counter):x}"

    def tags(
        self, extra: dict[str, str] | None = None, *, by: Session | None = None
    ) -> dict[str, str]:
        """server-time, ``extra``, and a logged-in sender's ``account`` (account-tag)."""
        account = {"account": by.account} if by is not None and by.account else {}
        return {"time": format_time(datetime.now(UTC)), **(extra or {}), **account}

    def peers_of(self, session: Session) -> set[Session]:
        """Everyone who shares a channel with ``session`` (not itself)."""
        peers: set[Session] = set()
        for channel in session.channels:
            peers.update(channel.members)
        peers.discard(session)
        return peers

    def send_to(
        self, recipients: Iterable[Session], line: Line | Outgoing, cap: str | None = None
    ) -> None:
        """Send one line to many sessions, formatted once per tag profile.

        With ``cap``, only sessions that enabled that capability receive it.
        """
        out = line if isinstance(line, Outgoing) else Outgoing(line)
        for member in recipients:
            if cap is None or cap in member.caps:
                member.send_bytes(out.render(member.tag_profile))

    # -- dispatch -------------------------------------------------------------------

    def dispatch(self, session: Session, line: Line) -> None:
        """Run one line from a session through the command table, replying through a
        response buffer (sent at the end unless the handler deferred it)."""
        rb = ResponseBuffer(session, line.tags.get("label"), line.command)
        # A line of a client's batch goes to BATCH, whatever its verb (commands/multiline.py).
        command = self.commands.get("BATCH" if "batch" in line.tags else line.command)
        if command is None:
            if session.registered:
                rb.reply(n.ERR_UNKNOWNCOMMAND, line.command, "Unknown command")
            else:
                rb.reply(n.ERR_NOTREGISTERED, "You have not registered")
        elif not session.registered and not command.pre_registration:
            rb.reply(n.ERR_NOTREGISTERED, "You have not registered")
        elif len(line.params) < command.min_params:
            rb.reply(n.ERR_NEEDMOREPARAMS, line.command, "Not enough parameters")
        elif command.oper_only and not session.is_operator:
            rb.reply(n.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator")
        else:
            try:
                command.handler(self, session, line, rb)
            except Exception:
                # A bug must cost one reply, not the connection (nor show a traceback).
                log.exception("Internal error handling %s from %s", line.command, session.source)
                rb.clear()
                rb.deferred = False
                rb.fail(line.command, "INTERNAL_ERROR", "Something went wrong on the server")
        if not session.closed and not rb.deferred:
            rb.send()

    # -- timers ---------------------------------------------------------------------

    def _sweep(self) -> None:
        """Ping idle clients, drop silent ones and those that never registered."""
        config = self.config
        now = self.now()
        ping = Line("PING", (config.name,)).to_bytes()
        for session in list(self.sessions):
            session.check_alive(now, ping)
        self._sweeper = self.loop.call_later(self._sweep_interval, self._sweep)

    # -- shutdown -------------------------------------------------------------------

    def shutdown(self, reason: str = "Server shutting down") -> None:
        """Tell every client why and close every connection. Idempotent."""
        self.closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for session in list(self.sessions):
            session.send_bytes(Line("ERROR", (reason,)).to_bytes())
            session.flush()
            session.quit_reason = reason
            session.closed = True
            self.sessions.discard(session)
            session.transport.close()
        self.registry.drop_users()
        self.per_address.clear()
        if not self._live:
            self._all_closed.set()

    async def finish_tasks(self, grace: float) -> None:
        """Let background work (saving a registered room, a ban...) finish before the
        stores close, at most ``grace`` seconds; cancel what is left after that."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=grace)
        for task in list(self.tasks):
            task.cancel()

    async def wait_closed(self, grace: float) -> None:
        """After :meth:`shutdown`: wait for transports to finish writing, at most
        ``grace`` seconds; then abort the ones still open (clients not reading)."""
        try:
            await asyncio.wait_for(self._all_closed.wait(), grace)
        except TimeoutError:
            for session in list(self._live):
                session.transport.abort()
