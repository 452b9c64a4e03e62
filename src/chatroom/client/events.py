"""Events the client core reports to its UI: frozen dataclasses, safe to pass
between threads.

Observers registered with :meth:`ChatClient.subscribe` receive them in order,
on the client's event-loop thread. Every event carries what a UI needs to
render it, so a UI never has to read mutable state from another thread.

The life of a session, as events::

    Connecting -> Connected -> [NickRequired -> (UI calls provide_nick)]
        -> [NickTaken ...] -> Registered -> BufferChanged / MessageAdded ...
        -> ConnectionLost(reconnect_in=2.0) -> Connecting -> ConnectFailed ...
        -> Connecting -> Connected -> Registered(reconnected=True) -> ...
        -> Stopped(reason)

A first connection that fails ends with ``ConnectFailed(fatal=True)`` then
``Stopped``; only a session that once registered is retried.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chatroom.client.model import BufferView, Message, Reaction


class ExitReason(enum.Enum):
    """Why :meth:`ChatClient.run` returned; ``exit_code`` is what a command exits with."""

    QUIT = "quit"  # the user left
    CONNECT_FAILED = "connect failed"  # the first connection could not be made
    CONNECTION_LOST = "connection lost"  # lost, and reconnecting is off
    REJECTED = "rejected"  # the server refused us (bad password, banned, full)
    CERTIFICATE = "certificate refused"  # TLS certificate changed or not trusted

    @property
    def exit_code(self) -> int:
        return 0 if self is ExitReason.QUIT else 1


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of all client events."""


@dataclass(frozen=True, slots=True)
class Connecting(Event):
    """About to open a connection ("Trying to connect to HOST:PORT...").
    ``attempt`` is 0 for the first connection, then counts reconnection tries."""

    host: str
    port: int
    attempt: int


@dataclass(frozen=True, slots=True)
class Connected(Event):
    """The TCP (or TLS) connection is open ("Successfully connected to HOST:PORT")."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class ConnectFailed(Event):
    """A connection could not be opened. ``reason`` is short and lower-case
    ("connection refused"). If ``fatal``, the client stops; otherwise it tries
    again in ``retry_in`` seconds."""

    host: str
    port: int
    reason: str
    fatal: bool
    retry_in: float | None = None


@dataclass(frozen=True, slots=True)
class NickRequired(Event):
    """The client needs a nick: the UI must ask the user ("Your name: ") and call
    :meth:`ChatClient.provide_nick`. ``problem`` says what was wrong with the
    previous one, or is ``None`` the first time."""

    problem: str | None = None


@dataclass(frozen=True, slots=True)
class NickTaken(Event):
    """The nick asked for is in use; the client is trying ``trying`` instead."""

    nick: str
    trying: str


@dataclass(frozen=True, slots=True)
class Registered(Event):
    """The server accepted us as ``nick`` ("Welcome, NAME!"). ``reconnected`` is
    True after a lost connection; rooms are then rejoined automatically."""

    nick: str
    reconnected: bool


@dataclass(frozen=True, slots=True)
class Ready(Event):
    """The rooms to join at start (or to rejoin) have answered: joined or refused.
    Plain text typed before this may find no room to go to."""

    rooms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OwnNickChanged(Event):
    """The user's nick is now ``nick``."""

    nick: str


@dataclass(frozen=True, slots=True)
class ConnectionLost(Event):
    """The connection ended without the user asking ("Oh no, we have lost
    connection to the server!"). ``reconnect_in`` is the delay before the next
    try, or ``None`` when the client will stop instead."""

    reason: str
    reconnect_in: float | None


@dataclass(frozen=True, slots=True)
class BufferChanged(Event):
    """A buffer was opened or changed (members, topic, unread, joined, online)."""

    buffer: BufferView


@dataclass(frozen=True, slots=True)
class BufferClosed(Event):
    """A buffer was closed and forgotten."""

    name: str


@dataclass(frozen=True, slots=True)
class ActiveBufferChanged(Event):
    """The user now looks at ``buffer`` (after a join, /switch, /msg or a close).
    ``backlog`` holds its most recent messages, to show what was missed;
    ``new_from`` is the index in it of the first message not read yet (where a
    "new messages" line goes), or None."""

    buffer: BufferView
    backlog: tuple[Message, ...]
    new_from: int | None = None


@dataclass(frozen=True, slots=True)
class MessageAdded(Event):
    """A message was added to the buffer called ``buffer`` (its current name).
    ``active`` says whether that buffer is the one the user looks at."""

    buffer: str
    message: Message
    active: bool


@dataclass(frozen=True, slots=True)
class MessageDeleted(Event):
    """The message ``message.msgid`` of the buffer called ``buffer`` was deleted
    (draft/message-redaction): ``message`` is it as shown now (``deleted`` set, its text
    :data:`~chatroom.client.model.DELETED_TEXT`). ``backlog`` is the buffer's most recent
    messages now, for a UI that redraws the buffer; ``active`` says whether the user is
    looking at it."""

    buffer: str
    message: Message
    backlog: tuple[Message, ...]
    active: bool


@dataclass(frozen=True, slots=True)
class BufferRenamed(Event):
    """The private chat called ``old`` is now called ``new``: its person changed
    nick. It keeps its number, messages and place; a ``BufferChanged`` under
    the new name follows."""

    old: str
    new: str


@dataclass(frozen=True, slots=True)
class HistoryLoaded(Event):
    """Recent history arrived for ``buffer`` (after joining it, opening a private
    chat or reconnecting): ``messages`` (oldest first, each with ``history``
    set) were put in the buffer by time, among lines already there, skipping any
    it already held. ``backlog`` is the buffer's most recent messages now, as in
    :class:`ActiveBufferChanged`, for a UI that redraws the buffer; ``active``
    says whether the user is looking at it. Never counted as unread."""

    buffer: str
    messages: tuple[Message, ...]
    backlog: tuple[Message, ...]
    active: bool


@dataclass(frozen=True, slots=True)
class OlderMessages(Event):
    """The answer to :meth:`ChatClient.fetch_older`: ``messages`` (oldest first,
    each with ``history`` set) now precede everything ``buffer`` held.
    ``complete`` is True when the start of the history was reached (ask no more).
    Empty and not complete when the server could not answer (a note says why)."""

    buffer: str
    messages: tuple[Message, ...]
    complete: bool


@dataclass(frozen=True, slots=True)
class LoggedIn(Event):
    """The server says we are logged in to ``account`` (SASL or REGISTER)."""

    account: str


@dataclass(frozen=True, slots=True)
class LoginFailed(Event):
    """Logging in to ``account`` failed; ``reason`` is a short sentence ("wrong
    account name or password"). The chat goes on, not logged in."""

    account: str
    reason: str


@dataclass(frozen=True, slots=True)
class AccountRegistered(Event):
    """``/register`` created ``account`` (a ``LoggedIn`` follows)."""

    account: str


@dataclass(frozen=True, slots=True)
class RegisterFailed(Event):
    """``/register`` was refused: ``code`` is the server's (``ACCOUNT_EXISTS``,
    ``WEAK_PASSWORD``...), ``reason`` its sentence."""

    account: str
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class CertificateUnknown(Event):
    """The server's TLS certificate cannot be verified (``reason``: "self-signed
    certificate"...) and was never seen before. The UI shows ``fingerprint``
    (SHA-256, ``AA:BB:...``) and asks the user, then calls
    :meth:`ChatClient.trust_certificate` with the answer; if trusted, it is
    remembered in ``known_file``."""

    host: str
    port: int
    fingerprint: str
    reason: str
    known_file: str


@dataclass(frozen=True, slots=True)
class CertificateTrusted(Event):
    """A new certificate was accepted and remembered in ``known_file``."""

    host: str
    port: int
    fingerprint: str
    known_file: str


@dataclass(frozen=True, slots=True)
class CertificateChanged(Event):
    """The server presents ``fingerprint`` where ``expected`` was remembered (in
    ``known_file``): possibly a man-in-the-middle. The client stops (``Stopped``
    with ``ExitReason.CERTIFICATE``); the UI must say so loudly, naming both
    fingerprints and the file to edit if the change is legitimate."""

    host: str
    port: int
    expected: str
    fingerprint: str
    known_file: str


@dataclass(frozen=True, slots=True)
class Stopped(Event):
    """The client has stopped; no event follows. :meth:`ChatClient.run` returns ``reason``."""

    reason: ExitReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TypingChanged(Event):
    """Who is typing in ``buffer`` changed (https://ircv3.net/specs/client-tags/typing):
    ``nicks`` are typing there now, in the order they started (empty: nobody)."""

    buffer: str
    nicks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReactionsChanged(Event):
    """The reactions to the message ``msgid`` of ``buffer`` changed
    (https://ircv3.net/specs/client-tags/react): ``reactions`` as they are now, in
    the order they were first given (empty: none left)."""

    buffer: str
    msgid: str
    reactions: tuple[Reaction, ...]
