"""The client's model of the chat: buffers (the server, rooms, private chats),
their messages, members, topic, unread counts and mention flags.

The model is plain data mutated only by the client protocol
(:class:`~chatroom.client.protocol.ClientProtocol`), on the client's event-loop
thread. A UI on the same thread may read it directly; a UI on
another thread (Tk) must use the frozen snapshots the client sends in events
(:class:`Message`, :class:`BufferView`) and never touch :class:`Buffer`.

Names are compared case-insensitively with the server's case mapping (ASCII),
so ``#Lobby`` and ``#lobby`` are one buffer, shown with the spelling seen first.
"""

from __future__ import annotations

import enum
import re
from bisect import bisect_left
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from chatroom.protocol.casemap import casefold, is_channel_name

SERVER_BUFFER = "*server*"
"""Name of the buffer for the server's own messages. ``*`` cannot start a nick
or a channel name, so it never clashes with a room or a person."""

MAX_MESSAGES = 2000
"""Messages kept per buffer; older ones are dropped (the server keeps history)."""


class BufferKind(enum.Enum):
    """What a buffer holds."""

    SERVER = "server"
    CHANNEL = "channel"
    PRIVATE = "private"


class MessageKind(enum.Enum):
    """What a message is; UIs style each kind (e.g. notices dimmed, errors red)."""

    MESSAGE = "message"  # PRIVMSG
    ACTION = "action"  # /me (CTCP ACTION)
    NOTICE = "notice"
    JOIN = "join"
    PART = "part"
    QUIT = "quit"
    NICK = "nick"
    TOPIC = "topic"
    KICK = "kick"
    MODE = "mode"
    ERROR = "error"  # an error reply, or a problem with what the user typed
    INFO = "info"  # anything else worth showing: names lists, away replies, help


CHAT_KINDS = frozenset({MessageKind.MESSAGE, MessageKind.ACTION, MessageKind.NOTICE})
"""Kinds that count as unread when they arrive in a buffer the user is not viewing."""


@dataclass(frozen=True, slots=True)
class Message:
    """One line of a buffer.

    ``time`` is timezone-aware (UTC): the server's ``time`` tag (IRCv3
    server-time) when present, else the moment it was received. ``sender`` is a
    nick, or ``None`` for lines from the server or the client itself. ``text`` is
    the readable text: for a join it is the sentence ("alice has joined
    #lobby. Say hi!"), so every UI shows the same words. ``own`` marks lines the
    user sent; ``mention`` marks lines that name the user (or private messages).
    ``history`` marks lines replayed from the server's history (IRCv3
    chathistory) rather than received live: UIs show them muted, and they never
    count as unread nor raise their buffer's mention flag.
    """

    time: datetime
    kind: MessageKind
    sender: str | None
    text: str
    own: bool = False
    mention: bool = False
    msgid: str | None = None
    history: bool = False
    reply_to: str | None = None  # the msgid it answers (+draft/reply), if any
    deleted: bool = False  # its sender or an operator deleted it (draft/message-redaction)


@dataclass(frozen=True, slots=True)
class Reaction:
    """One reaction to a message (https://ircv3.net/specs/client-tags/react): its
    text (an emoji, or a short word), who gave it, and whether the user did."""

    text: str
    nicks: tuple[str, ...]
    mine: bool = False

    @property
    def count(self) -> int:
        return len(self.nicks)


DELETED_TEXT = "message deleted"
"""What every UI shows in place of a deleted message's text."""


@dataclass(frozen=True, slots=True)
class Member:
    """A person in a room. ``prefixes`` holds status symbols, highest first (``"@+"``).
    ``account`` (None: not logged in, or not known) and ``away`` come from WHOX replies
    (https://ircv3.net/specs/extensions/whox), extended-join, and the away-notify and
    account-notify lines; until one arrives the member shows as present."""

    nick: str
    prefixes: str = ""
    account: str | None = None
    away: bool = False

    @property
    def display(self) -> str:
        """The nick with its highest status symbol, as IRC clients show it (``@alice``)."""
        return self.prefixes[:1] + self.nick

    @property
    def label(self) -> str:
        """:attr:`display`, marked when the member is away (``bob (away)``)."""
        return self.display + " (away)" if self.away else self.display


@dataclass(frozen=True, slots=True)
class BufferView:
    """An immutable snapshot of a buffer, safe to hand to another thread.

    ``number`` is the buffer's 1-based position (for Alt+number); ``members`` are
    sorted by status then name; ``joined`` is False for a room the user has left
    or was kicked from (its history stays until closed).
    """

    name: str
    kind: BufferKind
    number: int
    topic: str
    members: tuple[Member, ...]
    unread: int
    mentioned: bool
    joined: bool
    active: bool
    online: bool | None = None  # a private chat's person (MONITOR); None: not known


@dataclass(eq=False)
class Buffer:
    """A mutable buffer, owned by the model. See :class:`BufferView` for UIs on
    other threads."""

    name: str
    kind: BufferKind
    topic: str = ""
    members: dict[str, Member] = field(default_factory=dict)  # casefolded nick -> Member
    messages: deque[Message] = field(default_factory=lambda: deque(maxlen=MAX_MESSAGES))
    unread: int = 0
    mentioned: bool = False
    joined: bool = False
    msgids: set[str] = field(default_factory=set)  # of the messages kept, to drop repeats
    online: bool | None = None  # a private chat's person, from MONITOR; None: not known
    read_marker: datetime | None = None  # the last read (draft/read-marker), if known
    # msgid -> reaction -> who reacted so, in order (chatroom.client.reactions)
    reactions: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return casefold(self.name)

    def oldest(self) -> Message | None:
        """The oldest message kept that the server's history knows (a chat line
        with a ``msgid``), or ``None``: the anchor for fetching older ones."""
        return next((m for m in self.messages if m.msgid and m.kind in CHAT_KINDS), None)

    def newest(self) -> Message | None:
        """The newest message kept that the server's history knows, or ``None``:
        the anchor for fetching what was missed."""
        return next((m for m in reversed(self.messages) if m.msgid and m.kind in CHAT_KINDS), None)

    def sorted_members(self, prefix_order: str = "@+") -> tuple[Member, ...]:
        """Members by status (ops first), then by name."""

        def rank(member: Member) -> tuple[int, str]:
            symbol = member.prefixes[:1]
            pos = prefix_order.find(symbol) if symbol else -1
            return (pos if pos >= 0 else len(prefix_order), casefold(member.nick))

        return tuple(sorted(self.members.values(), key=rank))


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_server_time(value: str | None) -> datetime:
    """The ``time`` tag (``2026-11-25T12:00:00.123Z``) as an aware datetime; now if
    absent or unreadable (a bad tag must not lose the message)."""
    if value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return now_utc()


def mentions(text: str, nick: str) -> bool:
    """True if ``text`` names ``nick`` as a word (case-insensitively).

    Word edges are any character that cannot be part of a nick, so "alice:",
    "@alice" and "alice!" count but "malice" does not.
    """
    if not nick:
        return False
    pattern = r"(?<![\w\[\]\\`^{|}-])" + re.escape(nick) + r"(?![\w\[\]\\`^{|}-])"
    return re.search(pattern, text, re.IGNORECASE | re.ASCII) is not None


class ChatModel:
    """All buffers, in the order they were opened, and which one is active.

    The server buffer always exists and is number 1. The active buffer is where
    plain text typed by the user goes.
    """

    def __init__(self) -> None:
        server = Buffer(SERVER_BUFFER, BufferKind.SERVER, joined=True)
        self._buffers: dict[str, Buffer] = {server.key: server}
        self.active: str = server.key
        self.prefix_order = "@+"

    @property
    def buffers(self) -> list[Buffer]:
        """Buffers in display order (the server buffer first)."""
        return list(self._buffers.values())

    @property
    def server(self) -> Buffer:
        return self._buffers[casefold(SERVER_BUFFER)]

    @property
    def active_buffer(self) -> Buffer:
        return self._buffers[self.active]

    def get(self, name: str) -> Buffer | None:
        return self._buffers.get(casefold(name))

    def open(self, name: str, kind: BufferKind | None = None) -> tuple[Buffer, bool]:
        """Return the buffer called ``name``, creating it if needed; the flag says
        whether it was created. The kind is guessed from the name if not given."""
        buffer = self.get(name)
        if buffer is not None:
            return buffer, False
        if kind is None:
            kind = BufferKind.CHANNEL if is_channel_name(name) else BufferKind.PRIVATE
        buffer = Buffer(name, kind, joined=kind is BufferKind.PRIVATE)
        self._buffers[buffer.key] = buffer
        return buffer, True

    def close(self, name: str) -> bool:
        """Forget a buffer (never the server buffer). The active buffer moves to
        the one before it. Returns whether a buffer was closed."""
        key = casefold(name)
        if key not in self._buffers or key == casefold(SERVER_BUFFER):
            return False
        keys = list(self._buffers)
        index = keys.index(key)
        del self._buffers[key]
        if self.active == key:
            self.active = keys[index - 1]
        return True

    def rename(self, old: str, new: str) -> Buffer | None:
        """Rename a private buffer when its person changes nick (keeps its place)."""
        buffer = self.get(old)
        if buffer is None or buffer.kind is not BufferKind.PRIVATE:
            return None
        if self.get(new) is not None and casefold(new) != casefold(old):
            return None  # a buffer under the new name exists already; keep both
        was_active = self.active == buffer.key
        items = [(buffer.key if k == buffer.key else k, b) for k, b in self._buffers.items()]
        buffer.name = new
        self._buffers = {(buffer.key if b is buffer else k): b for k, b in items}
        if was_active:
            self.active = buffer.key
        return buffer

    def find(self, target: str) -> Buffer | None:
        """A buffer by name or by 1-based number (``"2"``), or by unique name prefix."""
        if target.isdigit():
            index = int(target) - 1
            buffers = self.buffers
            return buffers[index] if 0 <= index < len(buffers) else None
        exact = self.get(target)
        if exact is not None:
            return exact
        folded = casefold(target)
        matches = [b for b in self._buffers.values() if b.key.lstrip("#").startswith(folded)]
        return matches[0] if len(matches) == 1 else None

    def number_of(self, buffer: Buffer) -> int:
        return list(self._buffers).index(buffer.key) + 1

    def set_active(self, buffer: Buffer) -> None:
        """Make ``buffer`` active; its unread count and mention flag are cleared."""
        self.active = buffer.key
        buffer.unread = 0
        buffer.mentioned = False

    def view(self, buffer: Buffer) -> BufferView:
        return BufferView(
            name=buffer.name,
            kind=buffer.kind,
            number=self.number_of(buffer),
            topic=buffer.topic,
            members=buffer.sorted_members(self.prefix_order),
            unread=buffer.unread,
            mentioned=buffer.mentioned,
            joined=buffer.joined,
            active=buffer.key == self.active,
            online=buffer.online,
        )

    def views(self) -> tuple[BufferView, ...]:
        return tuple(self.view(b) for b in self._buffers.values())

    def add(self, buffer: Buffer, message: Message) -> bool:
        """Append a message; count it as unread if the buffer is not active.

        A message whose ``msgid`` the buffer already holds (it came in a history
        reply first) is not added again; returns whether it was added.
        """
        if message.msgid is not None:
            if message.msgid in buffer.msgids:
                return False
            buffer.msgids.add(message.msgid)
        messages = buffer.messages
        if messages.maxlen is not None and len(messages) == messages.maxlen:
            dropped = messages[0].msgid
            if dropped is not None and dropped != message.msgid:
                buffer.msgids.discard(dropped)
        messages.append(message)
        counts = not message.own and not message.history and message.kind in CHAT_KINDS
        if counts and buffer.key != self.active:
            buffer.unread += 1
            if message.mention:
                buffer.mentioned = True
        return True

    def delete(self, buffer: Buffer, msgid: str) -> Message | None:
        """Show the message *msgid* of *buffer* as deleted; return it as it is now, or
        None if the buffer does not hold it (or it was deleted already)."""
        for at, message in enumerate(buffer.messages):
            if message.msgid == msgid and not message.deleted:
                gone = replace(message, text=DELETED_TEXT, deleted=True, mention=False)
                buffer.messages[at] = gone
                return gone
        return None

    def insert_history(
        self, buffer: Buffer, messages: list[Message], *, older: bool = False
    ) -> list[Message]:
        """Put messages from the server's history in their place.

        ``older`` messages (a page fetched back) go before everything the buffer
        holds. Others (what was missed) go after the newest chat line the buffer
        holds from the server, and before any line that is later or as late:
        server times have millisecond precision, so a burst shares one time and
        only the order of the reply can be trusted among equals.

        Messages the buffer already holds (same ``msgid``) are skipped, so a
        reply that overlaps what arrived live shows nothing twice. Returns the
        messages inserted, in order. Unread counts do not change. The buffer
        may grow past :data:`MAX_MESSAGES` here: older lines were asked for by
        the user and must not push out the newest ones.
        """
        fresh: list[Message] = []
        for message in messages:
            if message.msgid is not None:
                if message.msgid in buffer.msgids:
                    continue
                buffer.msgids.add(message.msgid)
            fresh.append(message)
        if not fresh:
            return fresh
        merged = list(buffer.messages)
        if older:
            merged[:0] = fresh
        else:
            newest = buffer.newest()
            floor = 0 if newest is None else merged.index(newest) + 1
            for message in fresh:
                where = bisect_left(merged, message.time, lo=floor, key=lambda m: m.time)
                merged.insert(where, message)
                floor = where + 1  # the next one goes after this one
        limit = max(MAX_MESSAGES, len(merged)) if buffer.messages.maxlen else None
        buffer.messages = deque(merged, maxlen=limit)
        return fresh

    def buffers_with(self, nick: str) -> list[Buffer]:
        """Rooms where ``nick`` is a member, plus the private chat with them."""
        key = casefold(nick)
        return [
            b
            for b in self._buffers.values()
            if key in b.members or (b.kind is BufferKind.PRIVATE and b.key == key)
        ]


# --- read markers (see chatroom.client.readmarkers) ---


def counts(message: Message) -> bool:
    """Whether *message* can be unread: someone else's chat line."""
    return not message.own and message.kind in CHAT_KINDS


def is_new(message: Message, marker: datetime) -> bool:
    """Whether *message* is unread by *marker* (a read-marker time)."""
    # The marker is kept to the millisecond, as the server-time tag is.
    return (
        counts(message)
        and message.time.replace(
            microsecond=message.time.microsecond - message.time.microsecond % 1000
        )
        > marker
    )


def first_new(buffer: Buffer, backlog: Sequence[Message]) -> int | None:
    """Where the "new messages" line goes in *backlog* (the index of the first message
    not read), or None for no line: after the read marker when the server keeps one,
    else before the last ``buffer.unread`` messages counted as unread."""
    marker = buffer.read_marker
    if marker is not None:
        return next((i for i, m in enumerate(backlog) if is_new(m, marker)), None)
    left = buffer.unread
    if not left:
        return None
    for index in range(len(backlog) - 1, -1, -1):
        if counts(backlog[index]) and not backlog[index].history:
            left -= 1
            if not left:
                return index
    return None
