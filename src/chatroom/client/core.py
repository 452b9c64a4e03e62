"""The chat client: connection life cycle, registration, reconnection, and the
user's actions. Incoming lines are interpreted by :mod:`chatroom.client.handlers`.

Everything here runs on one asyncio event loop; no method is thread-safe
(use :class:`chatroom.client.thread.ClientThread` from another thread).
Observers are called synchronously, in order, and must not block: a UI that
renders elsewhere should only enqueue the event.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable

from chatroom.client import accounts, chathistory, handlers, trust
from chatroom.client.commands import Action, is_secret, parse_input
from chatroom.client.completion import complete_word
from chatroom.client.config import ClientConfig
from chatroom.client.connection import ConnectError, Connection
from chatroom.client.events import (
    ActiveBufferChanged,
    BufferChanged,
    CertificateUnknown,
    Connected,
    ConnectFailed,
    Connecting,
    ConnectionLost,
    Event,
    ExitReason,
    MessageAdded,
    NickRequired,
    Ready,
    Registered,
    Stopped,
)
from chatroom.client.history import InputHistory
from chatroom.client.model import (
    Buffer,
    BufferKind,
    ChatModel,
    Message,
    MessageKind,
    now_utc,
)
from chatroom.client.perform import nick_problem
from chatroom.client.perform import perform as perform_action
from chatroom.client.textsplit import utf8_len
from chatroom.protocol import Line, casefold, is_valid_nick

log = logging.getLogger(__name__)

Observer = Callable[[Event], None]

LINE_LIMIT = 512  # Modern IRC: bytes per line, CRLF included, tags excluded
HOSTLEN = 63  # the longest host a server may show in our prefix
QUIT_GRACE = 3.0  # seconds to wait for the server to close after our QUIT
BACKLOG = 50  # default of ClientConfig.backlog_lines (kept for old importers)
NICK_TRIES = 4  # name_, name__, ... before asking the user again


class _End(enum.Enum):
    """How one connection ended."""

    QUIT = "quit"
    LOST = "lost"
    REJECTED = "rejected"
    RETRY = "retry"  # dropped before registration while waiting for a nick


class ChatClient:
    """One user's chat session with one server, across reconnections.

    Typical use::

        client = ChatClient(ClientConfig(host, port, nick="alice"))
        client.subscribe(render)          # render(event) for every Event
        reason = await client.run()       # until the user quits or we give up
        ...                               # meanwhile, from key presses:
        client.submit(text)               # a line the user typed

    ``model`` holds the buffers (read it on this loop only), ``history`` the
    user's past inputs, ``nick`` the current nick (``None`` until known).
    """

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.model = ChatModel()
        self.history = InputHistory()
        self.nick: str | None = config.nick
        self.wanted_nick: str | None = config.nick  # what the user asked for
        self.registered = False
        self.caps: set[str] = set()
        self.isupport: dict[str, str] = {}
        self.motd: list[str] = []
        self.source: str | None = None  # nick!user@host as the server shows us
        self.server_error: str | None = None  # text of the server's ERROR line
        self.ready = asyncio.Event()
        self._observers: list[Observer] = []
        self._conn: Connection | None = None
        self._quitting = False
        self._wake = asyncio.Event()  # quit or a nick given while disconnected
        self._ever_registered = False
        self._welcomed = False
        self._waiting_nick = False
        self._nick_sent = False
        self._nick_tries = 0
        self._pending_ready: set[str] = set()
        self._rooms_to_join: tuple[str, ...] = ()
        self._switch_on_join: set[str] = set()
        self._unechoed = 0  # our PRIVMSGs the server has not echoed yet
        self._all_echoed = asyncio.Event()
        self._all_echoed.set()
        # Replies that arrive in several lines, collected until their end numeric.
        self.names_pending: dict[str, dict[str, tuple[str, str]]] = {}
        self.list_pending: list[tuple[str, str, str]] = []
        self.cap_ls: list[str] = []
        self.cap_values: dict[str, str] = {}  # CAP LS 302 values: "sasl" -> "PLAIN,..."
        self.chathistory = chathistory.HistoryState()
        # Accounts (see chatroom.client.accounts): the account we are logged in
        # to, the password to log in with on each connection, one waiting for
        # the server's answer to REGISTER, and the SASL exchange under way.
        self.account: str | None = None
        self.account_password: str | None = config.account_password
        self.pending_password: str | None = None
        self.sasl: accounts.Exchange | None = None
        self.plain_warned = False
        self._trust_answer: asyncio.Future[bool] | None = None

    # -- observers ---------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(event)`` for every event from now on; returns a function
        that unsubscribes. An observer that raises is logged, not propagated:
        a UI bug must not kill the connection."""
        self._observers.append(observer)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._observers.remove(observer)

        return unsubscribe

    def emit(self, event: Event) -> None:
        for observer in list(self._observers):
            try:
                observer(event)
            except Exception:
                log.exception("an observer failed on %r", event)

    # -- the life cycle ------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    async def run(self) -> ExitReason:
        """Connect, register, chat, and reconnect when the connection is lost,
        until the user quits or the client gives up. Returns why it stopped (after
        emitting :class:`Stopped`). Call once."""
        config = self.config
        attempt = 0
        while True:
            if self._quitting:
                return self._stop(ExitReason.QUIT)
            self.emit(Connecting(config.host, config.port, attempt))
            try:
                conn = await trust.open_trusted(self)
            except trust.CertificateRefused as exc:
                if self._quitting:  # the user quit instead of answering
                    return self._stop(ExitReason.QUIT)
                return self._stop(ExitReason.CERTIFICATE, str(exc))
            except ConnectError as exc:
                if not self._ever_registered or not config.reconnect:
                    self.emit(ConnectFailed(config.host, config.port, str(exc), fatal=True))
                    reason = (
                        ExitReason.CONNECTION_LOST
                        if self._ever_registered
                        else ExitReason.CONNECT_FAILED
                    )
                    return self._stop(reason, str(exc))
                attempt += 1
                delay = config.delay(attempt)
                self.emit(ConnectFailed(config.host, config.port, str(exc), False, delay))
                await self._sleep(delay)
                continue
            self.emit(Connected(config.host, config.port))
            end, detail = await self._session(conn)
            if end is _End.QUIT or self._quitting:
                return self._stop(ExitReason.QUIT)
            if end is _End.REJECTED:
                return self._stop(ExitReason.REJECTED, detail)
            if end is _End.RETRY:
                await self._wake.wait()  # until the user gives a nick (or quits)
                self._wake.clear()
                attempt = 0
                continue
            if not config.reconnect:
                self.emit(ConnectionLost(detail, None))
                return self._stop(ExitReason.CONNECTION_LOST, detail)
            attempt = 1
            delay = config.delay(attempt)
            self.emit(ConnectionLost(detail, delay))
            await self._sleep(delay)

    def _stop(self, reason: ExitReason, detail: str = "") -> ExitReason:
        self.emit(Stopped(reason, detail))
        return reason

    async def _sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds, or less if the user quits meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)
        self._wake.clear()

    async def _session(self, conn: Connection) -> tuple[_End, str]:
        """Register on ``conn`` and handle its lines until it ends."""
        self._conn = conn
        self.registered = False
        self.caps = set()
        self.server_error = None
        self.cap_ls = []
        self.cap_values = {}
        self.chathistory = chathistory.HistoryState()
        self.account = None
        self.sasl = None
        self.pending_password = None
        self._nick_sent = False
        self._nick_tries = 0
        self._welcomed = False
        self.ready.clear()
        self.send(Line("CAP", ("LS", "302")))
        if self.config.password:
            self.send(Line("PASS", (self.config.password,)))
        if self.nick is None:
            self._waiting_nick = True
            self.emit(NickRequired(None))
        else:
            self._send_registration()
        try:
            reason = await self._read_lines(conn)
        finally:
            registered_here = self.registered
            conn.close()
            self._conn = None
            self._forget_session()
        if self._quitting:
            return _End.QUIT, ""
        if not registered_here:
            if self._waiting_nick:
                return _End.RETRY, reason
            if not self._ever_registered:
                return _End.REJECTED, self.server_error or reason
        return _End.LOST, reason

    async def _read_lines(self, conn: Connection) -> str:
        """Handle lines until the connection ends; return why it ended."""
        ping_sent = False
        while True:
            timeout = self.config.ping_timeout if ping_sent else self.config.idle_ping
            try:
                line = await asyncio.wait_for(conn.read_line(), timeout)
            except TimeoutError:
                if ping_sent:
                    return f"no answer from the server for {int(timeout)} seconds"
                self.send(Line("PING", ("chatroom",)))
                ping_sent = True
                continue
            except OSError as exc:
                # The server's ERROR line, if it sent one, says more than errno.
                return self.server_error or exc.strerror or str(exc) or "the connection broke"
            if line is None:
                return self.server_error or "the server closed the connection"
            ping_sent = False
            try:
                handlers.handle(self, line)
            except Exception:
                # A line we misread must not end the chat; keep the evidence.
                log.exception("failed to handle %r", line.format())

    def _forget_session(self) -> None:
        """After a connection ends: rooms are no longer joined; remember which to
        rejoin."""
        if self.registered:
            self._rooms_to_join = tuple(
                b.name for b in self.model.buffers if b.kind is BufferKind.CHANNEL and b.joined
            )
        self.registered = False
        self.names_pending.clear()
        self._unechoed = 0
        self._all_echoed.set()
        for buffer in self.model.buffers:
            if buffer.kind is BufferKind.CHANNEL and (buffer.joined or buffer.members):
                buffer.joined = False
                buffer.members.clear()
                self.changed(buffer)

    def _send_registration(self) -> None:
        assert self.nick is not None
        self._waiting_nick = False
        if not self._nick_sent:
            self._nick_sent = True
            username = self.config.username or self.nick
            realname = self.config.realname or self.nick
            self.send(Line("NICK", (self.nick,)))
            self.send(Line("USER", (username, "0", "*", realname)))
        else:
            self.send(Line("NICK", (self.nick,)))

    def provide_nick(self, nick: str) -> None:
        """The user's answer to :class:`NickRequired`. An unusable nick is answered
        with another ``NickRequired`` saying why."""
        nick = nick.strip()
        nicklen = int(self.isupport.get("NICKLEN", "32") or 32)
        if not is_valid_nick(nick, nicklen):
            self.emit(NickRequired(nick_problem(nick, nicklen)))
            return
        self.nick = self.wanted_nick = nick
        self._nick_tries = 0
        if self.connected and not self.registered:
            self._send_registration()
        elif not self.connected:
            self._wake.set()  # the connection dropped while the user was typing

    def ask_nick(self, problem: str) -> None:
        """Registration cannot go on with the current nick: ask the user for another."""
        self.nick = None
        self._waiting_nick = True
        self.emit(NickRequired(problem))

    def alternative_nick(self) -> str | None:
        """The next nick to try when ours is taken (``name_``, ``name__``...), or
        ``None`` when it is time to ask the user."""
        self._nick_tries += 1
        base = self.wanted_nick or self.nick or ""
        nicklen = int(self.isupport.get("NICKLEN", "32") or 32)
        trying = base + "_" * self._nick_tries
        if not base or self._nick_tries > NICK_TRIES or len(trying) > nicklen:
            return None
        return trying

    def on_registered(self) -> None:
        """Called by the handlers at the end of the welcome burst (once per
        connection): tell observers, then join the rooms (or rejoin them)."""
        if self._welcomed or self.nick is None:
            return
        self._welcomed = True
        reconnected = self._ever_registered
        self._ever_registered = True
        self.emit(Registered(self.nick, reconnected))
        rooms = self._rooms_to_join if reconnected else self.config.rooms
        self._rooms_to_join = rooms
        self._pending_ready = {casefold(r) for r in rooms}
        if not reconnected:
            self._switch_on_join.update(casefold(r) for r in rooms[:1])
        for room in rooms:
            self.send(Line("JOIN", (room,)))
        # Rooms fetch what was missed when they are joined; private chats now.
        for buffer in self.model.buffers:
            if buffer.kind is BufferKind.PRIVATE:
                chathistory.fetch_recent(self, buffer)
        if not rooms:
            self.room_answered(None)

    def room_answered(self, name: str | None) -> None:
        """A room of the start-up joins was joined or refused; once all have, the
        client is ready."""
        if name is not None:
            self._pending_ready.discard(casefold(name))
        if not self._pending_ready and not self.ready.is_set() and self.registered:
            self.ready.set()
            self.emit(Ready(self._rooms_to_join))

    def take_switch_on_join(self, name: str) -> bool:
        """Whether joining ``name`` should make it the active buffer (asked for once)."""
        key = casefold(name)
        if key in self._switch_on_join:
            self._switch_on_join.discard(key)
            return True
        return False

    async def ask_trust(self, question: CertificateUnknown) -> bool:
        """Emit ``question`` and wait for :meth:`trust_certificate` (or a quit,
        which counts as no)."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._trust_answer = answer
        self.emit(question)
        try:
            return await answer
        finally:
            self._trust_answer = None

    def trust_certificate(self, trusted: bool) -> None:
        """The user's answer to :class:`CertificateUnknown`."""
        answer = self._trust_answer
        if answer is not None and not answer.done():
            answer.set_result(trusted)

    def quit(self, reason: str | None = None) -> None:
        """Leave: send QUIT (the others see ``reason``) and stop. Idempotent.
        :meth:`run` returns ``ExitReason.QUIT`` once the server has closed (or after
        a short grace period)."""
        if self._quitting:
            return
        self._quitting = True
        self._wake.set()
        self.trust_certificate(False)
        conn = self._conn
        if conn is not None and not conn.closed:
            self.send(Line("QUIT", (reason or self.config.quit_message,)))
            asyncio.get_running_loop().call_later(QUIT_GRACE, conn.abort)

    # -- output --------------------------------------------------------------------

    def send(self, line: Line) -> bool:
        """Send a line if connected; returns whether it was sent."""
        conn = self._conn
        if conn is None or conn.closed:
            return False
        conn.send(line)
        return True

    def changed(self, buffer: Buffer) -> None:
        """Tell observers that ``buffer`` changed (members, topic, unread...)."""
        if self.model.get(buffer.name) is buffer:
            self.emit(BufferChanged(self.model.view(buffer)))

    def add(self, buffer: Buffer, message: Message) -> None:
        """Add a message to a buffer and tell observers (and the buffer's new
        unread count, when it changed)."""
        unread, mentioned = buffer.unread, buffer.mentioned
        if not self.model.add(buffer, message):
            return  # the same msgid arrived already (in a history reply)
        self.emit(MessageAdded(buffer.name, message, buffer.key == self.model.active))
        if (buffer.unread, buffer.mentioned) != (unread, mentioned):
            self.changed(buffer)

    def note(
        self, text: str, kind: MessageKind = MessageKind.INFO, buffer: Buffer | None = None
    ) -> None:
        """Show a line from the client itself (help, errors) in ``buffer`` (default:
        the active one)."""
        self.add(buffer or self.model.active_buffer, Message(now_utc(), kind, None, text))

    def open_buffer(self, name: str, kind: BufferKind | None = None) -> Buffer:
        """The buffer called ``name``, opened (and announced) if needed. A private
        chat opened here asks the server for its recent history."""
        buffer, created = self.model.open(name, kind)
        if created:
            self.changed(buffer)
            if buffer.kind is BufferKind.PRIVATE:
                chathistory.fetch_recent(self, buffer)
        return buffer

    def open_private(self, nick: str) -> bool:
        """Open (or show) the private chat with ``nick`` without sending anything,
        and make it the active buffer. Returns False, with an error note, if
        ``nick`` cannot be a nick (or is a room's name)."""
        nicklen = int(self.isupport.get("NICKLEN", "32") or 32)
        if not is_valid_nick(nick, nicklen):
            self.note(nick_problem(nick, nicklen), MessageKind.ERROR)
            return False
        existing = self.model.get(nick)
        if existing is not None and existing.kind is not BufferKind.PRIVATE:
            return False
        self.activate(self.open_buffer(nick, BufferKind.PRIVATE))
        return True

    def backlog(self, buffer: Buffer) -> tuple[Message, ...]:
        """The latest ``config.backlog_lines`` messages of ``buffer``."""
        count = max(self.config.backlog_lines, 0)
        return tuple(buffer.messages)[-count:] if count else ()

    def fetch_older(self, name: str, limit: int = 50) -> bool:
        """Ask the server for up to ``limit`` messages older than the oldest the
        buffer called ``name`` holds; they arrive as an :class:`OlderMessages`
        event. Returns False (and does nothing) when there is no such buffer or
        the server keeps no history for us (no ``draft/chathistory``)."""
        buffer = self.model.get(name)
        if buffer is None:
            return False
        return chathistory.fetch_older(self, buffer, limit)

    def activate(self, buffer: Buffer) -> None:
        """Make ``buffer`` the one the user looks at."""
        previous = self.model.active_buffer
        self.model.set_active(buffer)
        if previous is not buffer:
            self.changed(previous)
        self.emit(ActiveBufferChanged(self.model.view(buffer), self.backlog(buffer)))
        self.changed(buffer)

    def switch_to(self, target: str) -> bool:
        """Activate the buffer named (or numbered) ``target``; False if none is."""
        buffer = self.model.find(target)
        if buffer is None:
            return False
        if buffer.key != self.model.active:  # already there: nothing to redraw
            self.activate(buffer)
        return True

    # -- user input --------------------------------------------------------------

    def submit(self, text: str) -> None:
        """Handle one line the user typed: store it in the history, parse it and
        perform it. Blank lines are ignored (never sent); lines carrying a
        password (``/register``, ``/login``) are not kept in the history."""
        action = parse_input(text)
        if action is None:
            return
        if not is_secret(text):
            self.history.add(text.rstrip("\r\n"))
        self.perform(action)

    def perform(self, action: Action) -> None:
        """Carry out an action (see :func:`chatroom.client.perform.perform`)."""
        perform_action(self, action)

    def expect_echo(self) -> None:
        """Note that a message was sent that the server will echo (echo-message)."""
        self._unechoed += 1
        self._all_echoed.clear()

    def switch_on_join(self, channel: str) -> None:
        """Make ``channel`` the active buffer when our JOIN to it arrives."""
        self._switch_on_join.add(casefold(channel))

    def echo_received(self) -> None:
        """Called by the handlers when the server echoes one of our messages."""
        if self._unechoed:
            self._unechoed -= 1
            if not self._unechoed:
                self._all_echoed.set()

    async def wait_echoed(self, timeout: float) -> bool:
        """Wait until the server has echoed every message we sent (echo-message),
        at most ``timeout`` seconds; True if it has. A script quitting after its
        last line calls this first, so its messages are in before it leaves."""
        try:
            await asyncio.wait_for(self._all_echoed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def text_budget(self, target: str) -> int:
        """Bytes of text that fit in one PRIVMSG to ``target`` once the server has
        put our prefix in front (Modern IRC: 512 bytes per line with CRLF)."""
        source = self.source or f"{self.nick}!~{self.config.username or self.nick}@{'x' * HOSTLEN}"
        overhead = utf8_len(f":{source} PRIVMSG {target} :") + 2
        return LINE_LIMIT - overhead

    # -- completion ----------------------------------------------------------------

    def complete(self, word: str, first: bool = False) -> list[str]:
        """Completions for ``word`` (see :func:`~chatroom.client.completion.complete_word`)."""
        return complete_word(
            word,
            first=first,
            active=self.model.view(self.model.active_buffer),
            buffers=self.model.views(),
            own_nick=self.nick,
        )
