"""The history store's vocabulary: records, anchors, queries and the ``HistoryStore`` protocol.

The server core talks to history only through :class:`HistoryStore` (STYLE.md rule 6); it
never sees SQL. Two backends implement it: :class:`~chatroom.storage.memory.MemoryHistoryStore`
(tests, and history turned off) and :class:`~chatroom.storage.sqlite.SQLiteHistoryStore` (the
default). Both obey the same contract, checked by one shared test suite.

Conversation keys
    Every message is filed under one *target key*. For a channel it is the casefolded channel
    name (``#lobby``). For a private conversation it is :func:`.conversations.dm_key` of the
    two casefolded nicks, so both parties read the same conversation. The store never
    casefolds: the caller passes keys that are already casefolded (``CASEMAPPING=ascii``).

Order
    Messages of one target are totally ordered by ``(time, sequence)``, where the sequence is
    assigned by the store on append. Timestamps therefore decide, and messages sharing a
    millisecond keep their append order. Every query returns messages in that ascending order,
    as IRCv3 chathistory recommends ("Returned message notes").
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from .search import Search

__all__ = [
    "EVENT_KINDS",
    "EVENT_PARAM_SEPARATOR",
    "HISTORY_FILENAME",
    "After",
    "Anchor",
    "Around",
    "Before",
    "Between",
    "HistoryQuery",
    "HistoryStore",
    "Latest",
    "MessageKind",
    "MsgidAnchor",
    "OnStored",
    "Search",
    "StoredMessage",
    "TargetActivity",
    "TimeAnchor",
    "default_data_dir",
    "from_ms",
    "new_msgid",
    "to_ms",
    "utc_now",
]

#: File name of the SQLite history database inside the data directory.
HISTORY_FILENAME = "history.db"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

OnStored = Callable[[bool], None]
"""Callback given to ``append``: ``True`` once the message is durable, ``False`` if not."""


# --- time -------------------------------------------------------------------------------------


def to_ms(when: datetime) -> int:
    """Return *when* (an aware ``datetime``) as integer milliseconds since the Unix epoch."""
    return (when - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """Return the aware UTC ``datetime`` for *ms* milliseconds since the Unix epoch."""
    return _EPOCH + timedelta(milliseconds=ms)


def utc_now() -> datetime:
    """Return the current UTC time truncated to the millisecond, as history stores it.

    The server should stamp a message with this once, and use the same value for the
    ``server-time`` tag it relays and for the :class:`StoredMessage` it appends.
    """
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond - now.microsecond % 1000)


# --- identifiers and keys -----------------------------------------------------------------------


def new_msgid() -> str:
    """Return a fresh message id: 16 random bytes as 22 URL-safe base64 characters.

    128 random bits make collisions negligible, and the alphabet (``A-Za-z0-9-_``) needs no
    escaping in a tag value (IRCv3 message-ids: the id is an opaque, case-sensitive string).
    The *server* calls this, once per delivered message and target, and relays the id it
    stores.
    """
    return secrets.token_urlsafe(16)


def default_data_dir() -> Path:
    """Return the per-user directory where the server keeps its data when not told otherwise.

    ``$XDG_DATA_HOME/chatroom`` if that variable holds an absolute path (XDG Base Directory
    spec: relative values are ignored), else ``~/.local/share/chatroom``; on Windows
    ``%LOCALAPPDATA%\\chatroom``. The directory is not created here: the store creates it when
    it opens a database inside it.
    """
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        if local:
            return Path(local) / "chatroom"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "chatroom"


# --- records ------------------------------------------------------------------------------------


class MessageKind(StrEnum):
    """The command a stored message was sent with.

    Only ``PRIVMSG`` and ``NOTICE`` may be replayed to a client that has not negotiated
    ``draft/event-playback``; ``TAGMSG`` and the channel events (``JOIN`` … ``NICK``, see
    :data:`EVENT_KINDS`) only to one that has (IRCv3 chathistory, "Returned message notes"
    and "Event playback"). Queries return only ``PRIVMSG`` and ``NOTICE`` unless asked for
    everything (``events=True``), so a page for such a client is all messages it can be
    sent; the rest of the filtering is the server's job.
    """

    PRIVMSG = "PRIVMSG"
    NOTICE = "NOTICE"
    TAGMSG = "TAGMSG"
    JOIN = "JOIN"
    PART = "PART"
    QUIT = "QUIT"
    KICK = "KICK"
    MODE = "MODE"
    TOPIC = "TOPIC"
    NICK = "NICK"
    REDACT = "REDACT"
    """A redacted message's tombstone (https://ircv3.net/specs/extensions/message-redaction):
    the row keeps its msgid, time and place, so anchors and read markers still resolve;
    its text is emptied, ``source``/``account`` name who redacted it, and it replays as
    ``REDACT <target> <msgid>``, to clients with the cap only."""


#: The channel events history keeps for ``draft/event-playback``: changes of a conversation,
#: not messages sent to it. Their ``text`` holds all of their line's parameters (``params``).
EVENT_KINDS = frozenset(k for k in MessageKind if k not in ("PRIVMSG", "NOTICE", "TAGMSG"))
#: Separates an event's parameters in ``text``: no IRC parameter may contain a line feed.
EVENT_PARAM_SEPARATOR = "\n"


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message as history keeps it; the server builds it, the store returns it unchanged.

    ``time`` must be timezone-aware; it is converted to UTC and truncated to the millisecond
    (the precision of the ``server-time`` tag, and of the store), so build it with
    :func:`utc_now`. ``tags`` holds the client-only tags (``+draft/reply`` …) to replay, not
    ``msgid``/``time``, which are fields of their own. A message stays hashable; ``tags`` is
    left out of the hash.
    """

    msgid: str
    """Unique id (see :func:`new_msgid`); appending a duplicate fails that message only."""
    time: datetime
    """When the server received the message: aware, UTC, millisecond precision."""
    target: str
    """Conversation key: casefolded channel name, or the two nicks' ``dm_key``."""
    kind: MessageKind
    """The command: PRIVMSG, NOTICE or TAGMSG, or a channel event (:data:`EVENT_KINDS`)."""
    source: str
    """The prefix it was relayed with: ``nick!user@host``."""
    target_param: str
    """The target parameter as relayed: a channel name or a nick (for an event: the
    channel it is filed under, also for QUIT and NICK, whose lines name no channel)."""
    text: str
    """The trailing parameter; empty for TAGMSG. For an event, every parameter of its line
    joined by :data:`EVENT_PARAM_SEPARATOR`."""
    account: str | None = None
    """The sender's account name when logged in (for ``account-tag`` on replay)."""
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Client-only tags, name (with its ``+``) to unescaped value; ``""`` for a bare tag."""

    def __post_init__(self) -> None:
        when = self.time
        if when.tzinfo is None:
            raise ValueError("StoredMessage.time must be timezone-aware (use utc_now())")
        if when.tzinfo is not UTC:
            when = when.astimezone(UTC)
        if when.microsecond % 1000:
            when = when.replace(microsecond=when.microsecond - when.microsecond % 1000)
        if when is not self.time:
            object.__setattr__(self, "time", when)
        if not isinstance(self.kind, MessageKind):
            object.__setattr__(self, "kind", MessageKind(self.kind))

    @property
    def time_ms(self) -> int:
        """``time`` as integer milliseconds since the Unix epoch."""
        return to_ms(self.time)

    @property
    def params(self) -> tuple[str, ...]:
        """The parameters to replay it with (the last one is the trailing parameter)."""
        if self.kind is MessageKind.REDACT:
            return (self.target_param, self.msgid)
        if self.kind in EVENT_KINDS:
            return tuple(self.text.split(EVENT_PARAM_SEPARATOR))
        if self.kind is MessageKind.TAGMSG:
            return (self.target_param,)
        return (self.target_param, self.text)


@dataclass(frozen=True, slots=True)
class TargetActivity:
    """One line of a ``CHATHISTORY TARGETS`` reply: a conversation and its latest message time.

    For a private conversation ``target`` is the :func:`.conversations.dm_key`; the server
    shows the other party's nick instead (:func:`.conversations.dm_peer`).
    """

    target: str
    latest: datetime


# --- anchors and queries --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MsgidAnchor:
    """A ``msgid=…`` selector: the position of that message in its conversation."""

    msgid: str


@dataclass(frozen=True, slots=True)
class TimeAnchor:
    """A ``timestamp=…`` selector: a point in time (aware; compared at millisecond precision)."""

    time: datetime

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise ValueError("TimeAnchor.time must be timezone-aware")


Anchor = MsgidAnchor | TimeAnchor
"""Where a history query starts or ends: a message (by msgid) or a timestamp."""


def _check_limit(limit: int) -> None:
    if limit < 0:
        raise ValueError(f"a history limit cannot be negative: {limit}")


@dataclass(frozen=True, slots=True)
class Latest:
    """``CHATHISTORY LATEST <target> <* | anchor> <limit>``.

    The newest *limit* messages; with *after*, only those after and excluding it.
    """

    target: str
    limit: int
    after: Anchor | None = None
    events: bool = False  # with TAGMSG and the channel events (draft/event-playback)

    def __post_init__(self) -> None:
        _check_limit(self.limit)


@dataclass(frozen=True, slots=True)
class Before:
    """``CHATHISTORY BEFORE``: the *limit* messages just before and excluding *anchor*."""

    target: str
    anchor: Anchor
    limit: int
    events: bool = False  # with TAGMSG and the channel events (draft/event-playback)

    def __post_init__(self) -> None:
        _check_limit(self.limit)


@dataclass(frozen=True, slots=True)
class After:
    """``CHATHISTORY AFTER``: the *limit* messages just after and excluding *anchor*."""

    target: str
    anchor: Anchor
    limit: int
    events: bool = False  # with TAGMSG and the channel events (draft/event-playback)

    def __post_init__(self) -> None:
        _check_limit(self.limit)


@dataclass(frozen=True, slots=True)
class Around:
    """``CHATHISTORY AROUND``: at most *limit* messages around *anchor*.

    The spec lets the implementation choose the split. Ours: ``limit // 2`` messages before
    the anchor, the rest from the anchor on, the anchor message itself included (so
    ``limit=1`` returns just it); when one side runs short the other side fills the gap.
    A timestamp anchor's position is its first message at or after that time.
    """

    target: str
    anchor: Anchor
    limit: int
    events: bool = False  # with TAGMSG and the channel events (draft/event-playback)

    def __post_init__(self) -> None:
        _check_limit(self.limit)


@dataclass(frozen=True, slots=True)
class Between:
    """``CHATHISTORY BETWEEN``: messages strictly between *start* and *end*.

    Counting for the limit starts at *start*, which may be later than *end* (then the
    *limit* messages nearest *start* are returned); the result is chronological either way.
    """

    target: str
    start: Anchor
    end: Anchor
    limit: int
    events: bool = False  # with TAGMSG and the channel events (draft/event-playback)

    def __post_init__(self) -> None:
        _check_limit(self.limit)


HistoryQuery = Latest | Before | After | Around | Between
"""A message query: one per CHATHISTORY subcommand except TARGETS."""


# --- the store protocol ---------------------------------------------------------------------------


class HistoryStore(Protocol):
    """What the server core needs from a history backend.

    Every method is called on the asyncio event loop thread, and none blocks it: writes go
    to a background writer, queries run off the loop.

    Errors: queries raise :class:`~chatroom.storage.errors.StorageError` subclasses only
    (``UnknownMessageError`` for a msgid anchor not in the conversation,
    ``StorageUnavailableError`` when the backend fails); ``append`` never raises for storage
    trouble, it reports it through ``on_stored``.
    """

    def append(self, message: StoredMessage, on_stored: OnStored | None = None) -> None:
        """Queue *message* for storage and return at once.

        ``on_stored(True)`` runs later on the event loop thread once the message is durable
        (it survives ``kill -9`` of the process); ``on_stored(False)`` if it could not be
        stored (disk full, locked, corrupt, duplicate msgid, store closed). It is called
        exactly once, never from inside ``append``, and callbacks run in append order.
        Relay the message only after ``on_stored(True)``, and tell the sender it was not
        sent after ``on_stored(False)``: a message anyone received must be in history.
        """
        ...

    @property
    def writable(self) -> bool:
        """False from the first write that failed for want of storage (disk full, I/O
        error, database unreachable) until a later write or the store's own probe succeeds.

        The store probes by itself while it is not writable (see
        :mod:`chatroom.storage.health`); the server refuses new messages meanwhile, with
        ``FAIL … TEMPORARILY_UNAVAILABLE``, instead of appending them. Appends made anyway
        are attempted as usual.
        """
        ...

    async def flush(self) -> None:
        """Return once every message appended before the call has had its ``on_stored``."""
        ...

    async def close(self) -> None:
        """Flush, then release files and threads. Idempotent; later queries raise
        ``StoreClosedError`` and later appends report ``on_stored(False)``."""
        ...

    async def query(self, query: HistoryQuery) -> list[StoredMessage]:
        """Run one CHATHISTORY message query; the result is in chronological order."""
        ...

    async def latest(
        self, target: str, limit: int, after: Anchor | None = None
    ) -> list[StoredMessage]:
        """Shortcut for ``query(Latest(target, limit, after))``."""
        ...

    async def before(self, target: str, anchor: Anchor, limit: int) -> list[StoredMessage]:
        """Shortcut for ``query(Before(target, anchor, limit))``."""
        ...

    async def after(self, target: str, anchor: Anchor, limit: int) -> list[StoredMessage]:
        """Shortcut for ``query(After(target, anchor, limit))``."""
        ...

    async def around(self, target: str, anchor: Anchor, limit: int) -> list[StoredMessage]:
        """Shortcut for ``query(Around(target, anchor, limit))``."""
        ...

    async def between(
        self, target: str, start: Anchor, end: Anchor, limit: int
    ) -> list[StoredMessage]:
        """Shortcut for ``query(Between(target, start, end, limit))``."""
        ...

    async def targets(
        self,
        start: datetime,
        end: datetime,
        limit: int,
        *,
        channels: Iterable[str] = (),
        nick: str | None = None,
    ) -> list[TargetActivity]:
        """``CHATHISTORY TARGETS``: conversations with messages strictly between two times.

        Candidates are the given *channels* (casefolded keys the user may read) plus every
        private conversation of *nick* (casefolded). Each result carries the time of the
        conversation's latest message inside the window. Counting for the limit starts at
        *start*, which may be later than *end*; results are in ascending order of that time.
        """
        ...

    async def search(self, search: Search) -> list[StoredMessage]:
        """Run a full-text :class:`Search`; the matches come newest first."""
        ...

    async def purge(self, target: str) -> int:
        """Delete the whole history of *target* (operator purge); return how many went."""
        ...

    async def message(self, target: str, msgid: str) -> StoredMessage | None:
        """The message *msgid* of conversation *target* as stored (a tombstone once
        redacted), or None if there is none."""
        ...

    async def redact(self, target: str, msgid: str, source: str, account: str | None) -> bool:
        """Turn message *msgid* of *target* into a tombstone (:attr:`MessageKind.REDACT`):
        its text and tags are emptied, *source* and *account* (who redacted it) replace
        the sender's, its msgid, time and place stay. Only PRIVMSG, NOTICE and TAGMSG can
        be redacted; return False (and change nothing) for any other row or none. The
        change is durable when this returns."""
        ...

    async def read_marker(self, account: str, target: str) -> datetime | None:
        """The read marker of *account* in *target* (both casefolded): the time of the last
        message the account has read there, or None if it never set one
        (https://ircv3.net/specs/extensions/read-marker)."""
        ...

    async def set_read_marker(self, account: str, target: str, time: datetime) -> datetime:
        """Move the read marker of *account* in *target* to *time* unless it is already
        later (a marker never moves backwards); return the marker now stored. The change
        is durable when this returns."""
        ...

    async def apply_retention(
        self,
        max_age: timedelta | None = None,
        max_per_target: int | None = None,
        *,
        now: datetime | None = None,
    ) -> int:
        """Delete messages older than *max_age* and beyond the newest *max_per_target* of
        each target; return how many were deleted. ``None`` disables a rule."""
        ...
