"""The client protocol's state, and the few primitives every handler uses.

Rules this module keeps (as h11's ``_state.py`` does for HTTP):

- Registration is one explicit :class:`Phase`, changed only by
  :meth:`ClientState.advance` through the :data:`TRANSITIONS` table. A trigger
  with no entry for the current phase changes nothing and is reported as
  ``False``: a numeric out of place (a second ``376``, a ``001`` nobody asked
  for) is the server's mistake, not a reason to fail.
- Nothing here does I/O. What the protocol wants sent is queued
  (:meth:`ClientState.send`), what it wants the UI to know is queued
  (:meth:`ClientState.emit`); the I/O layer takes both out
  (:class:`~chatroom.client.protocol.ClientProtocol`).
- The model is changed only through :meth:`~ClientState.add`,
  :meth:`~ClientState.changed` and :meth:`~ClientState.activate`, so an event
  reports every change.
"""

from __future__ import annotations

import enum
from collections import deque

from chatroom.client.config import ClientConfig
from chatroom.client.events import (
    ActiveBufferChanged,
    BufferChanged,
    Event,
    MessageAdded,
    NickRequired,
    Ready,
    TypingChanged,
)
from chatroom.client.history import InputHistory
from chatroom.client.model import Buffer, ChatModel, Message, MessageKind, first_new, now_utc
from chatroom.client.records import Exchange, HistoryState, UploadRequest, UploadTokenState
from chatroom.client.textsplit import utf8_len
from chatroom.client.typing_notify import TypingSender, TypingWatch
from chatroom.protocol import Line, casefold

LINE_LIMIT = 512  # Modern IRC: bytes per line, CRLF included, tags excluded
HOSTLEN = 63  # the longest host a server may show in our prefix
NICK_TRIES = 4  # name_, name__, ... before asking the user again
DEFAULT_NICKLEN = 32


class Phase(enum.Enum):
    """Where one connection is in its life (registration, then chat)."""

    OFFLINE = "offline"  # no connection
    NEED_NICK = "need nick"  # connected; no nick to send yet: the user is asked
    NEED_NEW_NICK = "need new nick"  # NICK/USER sent, the nick refused: the user is asked
    REGISTERING = "registering"  # NICK/USER sent; waiting for 001
    WELCOMED = "welcomed"  # 001 received; the welcome burst (ISUPPORT, MOTD) goes on
    CHATTING = "chatting"  # the burst is over; the start-up rooms were joined


class Trigger(enum.Enum):
    """What moves a connection from one :class:`Phase` to another."""

    CONNECT = "connect"  # the connection opened
    NICK_GIVEN = "nick given"  # a nick was sent (NICK, with USER the first time)
    NICK_REFUSED = "nick refused"  # 432/433 and no alternative left: ask the user
    WELCOME = "welcome"  # 001
    BURST_END = "burst end"  # 376 or 422
    DISCONNECT = "disconnect"  # the connection ended


_CONNECTED = (Phase.NEED_NICK, Phase.NEED_NEW_NICK, Phase.REGISTERING, Phase.WELCOMED)
TRANSITIONS: dict[tuple[Phase, Trigger], Phase] = {
    (Phase.OFFLINE, Trigger.CONNECT): Phase.NEED_NICK,
    (Phase.NEED_NICK, Trigger.NICK_GIVEN): Phase.REGISTERING,
    (Phase.NEED_NEW_NICK, Trigger.NICK_GIVEN): Phase.REGISTERING,
    (Phase.REGISTERING, Trigger.NICK_GIVEN): Phase.REGISTERING,
    (Phase.NEED_NICK, Trigger.NICK_REFUSED): Phase.NEED_NICK,
    (Phase.NEED_NEW_NICK, Trigger.NICK_REFUSED): Phase.NEED_NEW_NICK,
    (Phase.REGISTERING, Trigger.NICK_REFUSED): Phase.NEED_NEW_NICK,
    **{(phase, Trigger.WELCOME): Phase.WELCOMED for phase in _CONNECTED},
    (Phase.CHATTING, Trigger.WELCOME): Phase.CHATTING,
    (Phase.WELCOMED, Trigger.BURST_END): Phase.CHATTING,
    **{(phase, Trigger.DISCONNECT): Phase.OFFLINE for phase in Phase},
}
"""(phase, trigger) -> next phase. Pairs not listed leave the phase as it is."""

REGISTERED = frozenset({Phase.WELCOMED, Phase.CHATTING})
WAITING_FOR_NICK = frozenset({Phase.NEED_NICK, Phase.NEED_NEW_NICK})


class ClientState:
    """One user's protocol state with one server, across reconnections.

    Attributes are read freely; they are written by the handlers and the
    protocol only. ``nick`` is ``None`` until known, ``wanted_nick`` what the
    user asked for (``name_`` may be used meanwhile).
    """

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.model = ChatModel()
        self.history = InputHistory()
        self.phase = Phase.OFFLINE
        self.nick: str | None = config.nick
        self.wanted_nick: str | None = config.nick
        self.caps: set[str] = set()
        self.isupport: dict[str, str] = {}
        self.motd: list[str] = []
        self.source: str | None = None  # nick!user@host as the server shows us
        self.server_error: str | None = None  # text of the server's ERROR line
        self.quitting = False  # the user left: the I/O layer closes and stops
        self.ever_registered = False
        self.is_ready = False  # the start-up rooms of this connection have answered
        self.nick_tries = 0
        self.pending_ready: set[str] = set()
        self.rooms_to_join: tuple[str, ...] = ()
        self.switch_on_join_keys: set[str] = set()
        self.unechoed = 0  # our PRIVMSGs the server has not echoed yet
        self.monitored: set[str] = set()  # folded nicks we sent MONITOR + for
        # Replies that arrive in several lines, collected until their end numeric.
        self.names_pending: dict[str, dict[str, tuple[str, str]]] = {}
        self.list_pending: list[tuple[str, str, str]] = []
        self.whox_pending: set[str] = set()  # rooms (folded) our WHOX query is out for
        self.cap_ls: list[str] = []
        self.cap_values: dict[str, str] = {}  # CAP LS 302 values: "sasl" -> "PLAIN,..."
        self.chathistory = HistoryState()
        # Accounts (see chatroom.client.accounts): the account we are logged in
        # to, the password to log in with on each connection, one waiting for
        # the server's answer to REGISTER, and the SASL exchange under way.
        self.account: str | None = None
        self.account_password: str | None = config.account_password
        self.pending_password: str | None = None
        self.sasl: Exchange | None = None
        self.plain_warned = False
        # Typing notifications (chatroom.client.typing_notify): ours to send, the
        # others' received, and the time of the I/O layer's last tick, which dates
        # what is received (the protocol owns no clock).
        self.typing_out = TypingSender()
        self.typing_in = TypingWatch()
        self.clock = 0.0
        self._events: deque[Event] = deque()
        self._outgoing: list[Line] = []
        self.uploads: list[UploadRequest] = []  # /upload: for the I/O layer to run
        self.upload_tokens = UploadTokenState()  # EXTJWT tokens of this connection

    # -- the phase ----------------------------------------------------------------

    def advance(self, trigger: Trigger) -> bool:
        """Move to the phase :data:`TRANSITIONS` gives for ``trigger``; False
        (and no change) when the table has no entry for the current phase."""
        following = TRANSITIONS.get((self.phase, trigger))
        if following is None:
            return False
        self.phase = following
        return True

    @property
    def connected(self) -> bool:
        return self.phase is not Phase.OFFLINE

    @property
    def registered(self) -> bool:
        """The server has welcomed us (001) on this connection."""
        return self.phase in REGISTERED

    def quit(self, reason: str | None = None) -> None:
        """Leave: send QUIT (the others see ``reason``) if connected, and mark the
        session as ending (``quitting``), which the I/O layer acts on. Idempotent."""
        if self.quitting:
            return
        self.quitting = True
        self.send(Line("QUIT", (reason or self.config.quit_message,)))

    # -- output: lines to send and events to report --------------------------------

    def send(self, line: Line) -> bool:
        """Queue a line to send if connected; returns whether it was queued.
        Raises :class:`~chatroom.errors.LocalProtocolError` at once if ``line``
        cannot be framed, so the caller that built it hears of it."""
        if not self.connected:
            return False
        line.format()
        self._outgoing.append(line)
        if line.command in ("PRIVMSG", "NOTICE") and line.params:
            self.typing_out.message_sent(line.params[0])  # the message ends our typing
        return True

    def emit(self, event: Event) -> None:
        """Queue an event for the UI."""
        self._events.append(event)

    def typing_changed(self, name: str) -> None:
        """Tell observers who types in the buffer called ``name`` now."""
        buffer = self.model.get(name)
        if buffer is not None:
            self.emit(TypingChanged(buffer.name, self.typing_in.typing(name)))

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

    def backlog(self, buffer: Buffer) -> tuple[Message, ...]:
        """The latest ``config.backlog_lines`` messages of ``buffer``."""
        count = max(self.config.backlog_lines, 0)
        return tuple(buffer.messages)[-count:] if count else ()

    def activate(self, buffer: Buffer) -> None:
        """Make ``buffer`` the one the user looks at."""
        previous = self.model.active_buffer
        backlog = self.backlog(buffer)
        new_from = first_new(buffer, backlog)
        self.model.set_active(buffer)
        if previous is not buffer:
            self.changed(previous)
        self.emit(ActiveBufferChanged(self.model.view(buffer), backlog, new_from))
        self.changed(buffer)

    def switch_to(self, target: str) -> bool:
        """Activate the buffer named (or numbered) ``target``; False if none is."""
        buffer = self.model.find(target)
        if buffer is None:
            return False
        if buffer.key != self.model.active:  # already there: nothing to redraw
            self.activate(buffer)
        return True

    # -- registration helpers ------------------------------------------------------

    @property
    def nicklen(self) -> int:
        """The server's NICKLEN (ISUPPORT), or the default before it is known."""
        return int(self.isupport.get("NICKLEN", str(DEFAULT_NICKLEN)) or DEFAULT_NICKLEN)

    def ask_nick(self, problem: str) -> None:
        """Registration cannot go on with the current nick: ask the user for another."""
        self.nick = None
        self.advance(Trigger.NICK_REFUSED)
        self.emit(NickRequired(problem))

    def alternative_nick(self) -> str | None:
        """The next nick to try when ours is taken (``name_``, ``name__``...), or
        ``None`` when it is time to ask the user."""
        self.nick_tries += 1
        base = self.wanted_nick or self.nick or ""
        trying = base + "_" * self.nick_tries
        if not base or self.nick_tries > NICK_TRIES or len(trying) > self.nicklen:
            return None
        return trying

    def room_answered(self, name: str | None) -> None:
        """A room of the start-up joins was joined or refused; once all have, the
        client is ready."""
        if name is not None:
            self.pending_ready.discard(casefold(name))
        if not self.pending_ready and not self.is_ready and self.registered:
            self.is_ready = True
            self.emit(Ready(self.rooms_to_join))

    def switch_on_join(self, channel: str) -> None:
        """Make ``channel`` the active buffer when our JOIN to it arrives."""
        self.switch_on_join_keys.add(casefold(channel))

    def take_switch_on_join(self, name: str) -> bool:
        """Whether joining ``name`` should make it the active buffer (asked for once)."""
        key = casefold(name)
        if key in self.switch_on_join_keys:
            self.switch_on_join_keys.discard(key)
            return True
        return False

    # -- echo-message --------------------------------------------------------------

    def expect_echo(self) -> None:
        """Note that a message was sent that the server will echo (echo-message)."""
        self.unechoed += 1

    def echo_received(self) -> None:
        """The server echoed one of our messages."""
        if self.unechoed:
            self.unechoed -= 1

    def text_budget(self, target: str) -> int:
        """Bytes of text that fit in one PRIVMSG to ``target`` once the server has
        put our prefix in front (Modern IRC: 512 bytes per line with CRLF)."""
        source = self.source or f"{self.nick}!~{self.config.username or self.nick}@{'x' * HOSTLEN}"
        overhead = utf8_len(f":{source} PRIVMSG {target} :") + 2
        return LINE_LIMIT - overhead
