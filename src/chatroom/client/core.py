"""The chat client on asyncio: the thin I/O layer around the sans-I/O
:class:`~chatroom.client.protocol.ClientProtocol`.

It opens the connection (TLS, trust on first use), reads lines and hands them
to the protocol, writes what the protocol queues, reports its events to the
observers, sends a PING when the server is silent, and reconnects with
back-off. Everything the client knows about the chat lives in ``protocol``.

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

from chatroom.client.commands import Action, SendMessage
from chatroom.client.config import ClientConfig
from chatroom.client.connection import ConnectError, Connection
from chatroom.client.events import (
    CertificateUnknown,
    Connected,
    ConnectFailed,
    Connecting,
    ConnectionLost,
    Event,
    ExitReason,
    Ready,
    Stopped,
)
from chatroom.client.history import InputHistory
from chatroom.client.model import Buffer, ChatModel, Message, MessageKind
from chatroom.client.protocol import ClientProtocol
from chatroom.client.records import UploadRequest
from chatroom.client.state import REGISTERED, WAITING_FOR_NICK
from chatroom.client.trust import CertificateRefused, open_trusted
from chatroom.client.upload import UploadFailed, forget_token, post, take

log = logging.getLogger(__name__)

Observer = Callable[[Event], None]

QUIT_GRACE = 3.0  # seconds to wait for the server to close after our QUIT
TICK = 1.0  # seconds between the protocol's ticks (typing notifications)
BACKLOG = 50  # default of ClientConfig.backlog_lines (kept for old importers)


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

    ``protocol`` holds the state; ``model`` (the buffers, read it on this loop
    only), ``history`` (the user's past inputs), ``nick`` (``None`` until
    known) and the other read-only properties are views of it.
    """

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.protocol = ClientProtocol(config)
        self.ready = asyncio.Event()
        self._observers: list[Observer] = []
        self._conn: Connection | None = None
        self._quitting = False
        self._wake = asyncio.Event()  # quit or a nick given while disconnected
        self._all_echoed = asyncio.Event()
        self._all_echoed.set()
        self._trust_answer: asyncio.Future[bool] | None = None
        self._uploads: set[asyncio.Task[None]] = set()

    # -- read-only views of the protocol's state ---------------------------------------

    @property
    def model(self) -> ChatModel:
        return self.protocol.model

    @property
    def history(self) -> InputHistory:
        return self.protocol.history

    @property
    def nick(self) -> str | None:
        return self.protocol.nick

    @property
    def registered(self) -> bool:
        return self.protocol.registered

    @property
    def caps(self) -> set[str]:
        return self.protocol.caps

    @property
    def isupport(self) -> dict[str, str]:
        return self.protocol.isupport

    @property
    def motd(self) -> list[str]:
        return self.protocol.motd

    @property
    def source(self) -> str | None:
        return self.protocol.source

    @property
    def account(self) -> str | None:
        return self.protocol.account

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

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

    def _flush(self) -> None:
        """Do what the protocol asks after each call: write its lines, report its
        events in order, and start closing once it is quitting."""
        protocol, conn = self.protocol, self._conn
        for line in protocol.lines_to_send():
            if conn is not None and not conn.closed:
                conn.send(line)
        while (event := protocol.next_event()) is not None:
            if isinstance(event, Ready):
                self.ready.set()
            self.emit(event)
        for request in take(protocol):
            task = asyncio.get_running_loop().create_task(self._upload(request))
            self._uploads.add(task)
            task.add_done_callback(self._uploads.discard)
        if protocol.unechoed:
            self._all_echoed.clear()
        else:
            self._all_echoed.set()
        if protocol.quitting and not self._quitting:
            self._quitting = True
            self._wake.set()
            self.trust_certificate(False)
            if conn is not None and not conn.closed:
                asyncio.get_running_loop().call_later(QUIT_GRACE, conn.abort)

    async def _upload(self, request: UploadRequest) -> None:
        """``/upload``: post the file on a thread, then send its link as a message."""
        try:
            link = await asyncio.to_thread(post, request, self.config.tls_verify)
        except UploadFailed as exc:
            forget_token(self.protocol, request)
            self.protocol.note(f"Upload of {request.path} failed: {exc}", MessageKind.ERROR)
        else:
            self.protocol.perform(SendMessage(request.target, link))
        self._flush()

    # -- the life cycle ------------------------------------------------------------

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
                conn = await open_trusted(config, self.emit, self.ask_trust)
            except CertificateRefused as exc:
                if self._quitting:  # the user quit instead of answering
                    return self._stop(ExitReason.QUIT)
                return self._stop(ExitReason.CERTIFICATE, str(exc))
            except ConnectError as exc:
                if not self.protocol.ever_registered or not config.reconnect:
                    self.emit(ConnectFailed(config.host, config.port, str(exc), fatal=True))
                    reason = (
                        ExitReason.CONNECTION_LOST
                        if self.protocol.ever_registered
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
        self.ready.clear()
        self.protocol.connection_made()
        self._flush()
        ticker = asyncio.create_task(self._tick())
        try:
            reason = await self._read_lines(conn)
        finally:
            ticker.cancel()
            conn.close()
            self._conn = None
            phase = self.protocol.connection_lost()
            self._flush()
        if self._quitting:
            return _End.QUIT, ""
        if phase not in REGISTERED:
            if phase in WAITING_FOR_NICK:
                return _End.RETRY, reason
            if not self.protocol.ever_registered:
                return _End.REJECTED, self.protocol.server_error or reason
        return _End.LOST, reason

    async def _tick(self) -> None:
        """Give the protocol the time every :data:`TICK` seconds, while connected."""
        loop = asyncio.get_running_loop()
        while True:
            self.protocol.tick(loop.time())
            self._flush()
            await asyncio.sleep(TICK)

    async def _read_lines(self, conn: Connection) -> str:
        """Handle lines until the connection ends; return why it ended."""
        protocol = self.protocol
        ping_sent = False
        while True:
            timeout = self.config.ping_timeout if ping_sent else self.config.idle_ping
            try:
                line = await asyncio.wait_for(conn.read_line(), timeout)
            except TimeoutError:
                if ping_sent:
                    return f"no answer from the server for {int(timeout)} seconds"
                protocol.keepalive()
                self._flush()
                ping_sent = True
                continue
            except OSError as exc:
                # The server's ERROR line, if it sent one, says more than errno.
                return protocol.server_error or exc.strerror or str(exc) or "the connection broke"
            if line is None:
                return protocol.server_error or "the server closed the connection"
            ping_sent = False
            protocol.receive_line(line)
            self._flush()

    def provide_nick(self, nick: str) -> None:
        """The user's answer to :class:`NickRequired`. An unusable nick is answered
        with another ``NickRequired`` saying why."""
        if self.protocol.provide_nick(nick) and not self.connected:
            self._wake.set()  # the connection dropped while the user was typing
        self._flush()

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
        self.protocol.quit(reason)
        self._flush()

    # -- the user's side: each call goes to the protocol, then its output out --------

    def submit(self, text: str) -> None:
        """Handle one line the user typed (see :meth:`ClientProtocol.submit`)."""
        self.protocol.submit(text)
        self._flush()

    def input_changed(self, text: str) -> None:
        """The user's input line now reads ``text``: typing notifications (see
        :meth:`ClientProtocol.input_changed`)."""
        self.protocol.input_changed(text, asyncio.get_running_loop().time())
        self._flush()

    def perform(self, action: Action) -> None:
        """Carry out an action (see :func:`chatroom.client.perform.perform`)."""
        self.protocol.perform(action)
        self._flush()

    def switch_to(self, target: str) -> bool:
        """Activate the buffer named (or numbered) ``target``; False if none is."""
        found = self.protocol.switch_to(target)
        self._flush()
        return found

    def open_private(self, nick: str) -> bool:
        """Open and show a private chat (see :meth:`ClientProtocol.open_private`)."""
        opened = self.protocol.open_private(nick)
        self._flush()
        return opened

    def mark_read(self, name: str | None = None) -> bool:
        """The user has read a buffer (see :meth:`ClientProtocol.mark_read`)."""
        sent = self.protocol.mark_read(name)
        self._flush()
        return sent

    def fetch_older(self, name: str, limit: int = 50) -> bool:
        """Ask for older history of a buffer (see :meth:`ClientProtocol.fetch_older`)."""
        asked = self.protocol.fetch_older(name, limit)
        self._flush()
        return asked

    def show(self, name: str) -> bool:
        """Redraw a buffer at its latest messages (see :meth:`ClientProtocol.show`)."""
        shown = self.protocol.show(name)
        self._flush()
        return shown

    def fetch_around(self, name: str, msgid: str, limit: int = 40) -> bool:
        """Open a buffer at a message (see :meth:`ClientProtocol.fetch_around`)."""
        asked = self.protocol.fetch_around(name, msgid, limit)
        self._flush()
        return asked

    def typing(self, name: str) -> tuple[str, ...]:
        """Who is typing in the buffer called ``name``, in the order they started."""
        return self.protocol.typing_in.typing(name)

    def backlog(self, buffer: Buffer) -> tuple[Message, ...]:
        """The latest ``config.backlog_lines`` messages of ``buffer``."""
        return self.protocol.backlog(buffer)

    def text_budget(self, target: str) -> int:
        """Bytes of text that fit in one PRIVMSG to ``target`` (see :class:`ClientState`)."""
        return self.protocol.text_budget(target)

    def complete(self, word: str, first: bool = False) -> list[str]:
        """Completions for ``word`` (see :func:`~chatroom.client.completion.complete_word`)."""
        return self.protocol.complete(word, first)

    async def wait_echoed(self, timeout: float) -> bool:
        """Wait until the server has echoed every message we sent (echo-message),
        at most ``timeout`` seconds; True if it has. A script quitting after its
        last line calls this first, so its messages are in before it leaves."""
        try:
            await asyncio.wait_for(self._all_echoed.wait(), timeout)
        except TimeoutError:
            return False
        return True
