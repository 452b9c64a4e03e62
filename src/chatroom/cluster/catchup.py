"""Catching up, from the shared history, on messages missed while Redis was away.

While this process cannot hear the others (Redis stopped, restarted, or the
connection broke), their channel and private messages are lost for its users,
but not for the network: the process that received each message stored it, with
its ``msgid``, ``time`` and source, in the history every process shares
(PostgreSQL, or the SQLite files of the data directory with ``--workers``). When
the subscription is back, :func:`catch_up` reads the window of the outage from
that history and hands each missed message to the local users it was meant for,
through the same path as a live one (:func:`chatroom.cluster.deliver.apply`).

Exactly once: a :class:`Delivered` record remembers the msgids recently handed to
local users, live or caught up; a message in it is skipped, and so is every
message this process relayed itself (its msgids start with this process's
prefix). The record is bounded; the window never starts before the oldest time
it still covers, so a message it forgot can never be shown twice (under a flood
the window shrinks instead).

Only what history keeps can be caught up: PRIVMSG and NOTICE to channels and
nicks, not TAGMSG, not messages to ``@#chan``/``+#chan``, nothing when history is
off, and nothing from processes with history files of their own.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from chatroom.cluster import deliver
from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.server.network.events import ChannelMessage, Event, PrivateMessage
from chatroom.server.outgoing import format_time
from chatroom.storage.base import (
    Anchor,
    MessageKind,
    MsgidAnchor,
    StoredMessage,
    TimeAnchor,
    utc_now,
)
from chatroom.storage.conversations import dm_peers, is_dm_key
from chatroom.storage.errors import StorageError

if TYPE_CHECKING:
    from chatroom.server.network.view import RemoteView
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.cluster")

PAGE = 500
"""Messages read from history per query (a conversation is read page by page)."""
MAX_TARGETS = 10_000
"""At most this many private conversations of one user are caught up."""
PER_TARGET = 200
"""At most this many messages caught up per channel and per private conversation
(the most recent; the user is told how many more CHATHISTORY can fetch): a long
outage must not overflow the SendQ of users who stayed connected."""
CHUNK = 100
"""Messages delivered between two turns of the event loop during a catch-up."""


class Delivered:
    """The msgids most recently handed to local users, at most ``size`` of them.

    :attr:`covers_since` is when the newest forgotten msgid was recorded: every
    message stored at or after that time and already delivered is still here
    (a message is stored before it is delivered).
    """

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        # With each msgid, when it was recorded: forgetting it says nothing about
        # the messages recorded after it, so the window only moves to its time.
        self._order: deque[tuple[str, datetime]] = deque()
        self._ids: set[str] = set()
        self.covers_since: datetime | None = None

    def __contains__(self, msgid: object) -> bool:
        return msgid in self._ids

    def add(self, msgid: str, now: datetime | None = None) -> None:
        """Remember ``msgid``, recorded at ``now`` (default: the current time),
        forgetting the oldest beyond the bound."""
        if msgid in self._ids:
            return
        self._order.append((msgid, now or utc_now()))
        self._ids.add(msgid)
        if len(self._order) > self._size:
            forgotten, recorded = self._order.popleft()
            self._ids.discard(forgotten)
            self.covers_since = recorded

    def first_time(self, event: Event) -> bool:
        """Whether a live message event is new here (and remember it); other events
        are always new. A message published twice (a write retried after Redis
        dropped the connection) is shown once."""
        new = self.is_new(event)
        if new:
            self.remember(event)
        return new

    def is_new(self, event: Event) -> bool:
        """Whether ``event`` is not a message already delivered here."""
        msgid = _msgid(event)
        return msgid is None or msgid not in self._ids

    def remember(self, event: Event) -> None:
        """Remember a message event once it was delivered (not before: a message
        whose delivery failed is still caught up later)."""
        msgid = _msgid(event)
        if msgid is not None:
            self.add(msgid)


def _msgid(event: Event) -> str | None:
    if not isinstance(event, ChannelMessage | PrivateMessage):
        return None
    return event.line.tags.get("msgid")


class _Missed:
    """What a catch-up found: the messages to deliver, each with its event, and per
    channel or private conversation how many older ones were left out (with whom to
    tell, and the name to tell them)."""

    def __init__(self, delivered: Delivered, own_prefix: str) -> None:
        self._delivered = delivered
        self._own_prefix = own_prefix
        self.found: list[tuple[StoredMessage, Event]] = []
        self.left_out: list[tuple[list[Session], str, int]] = []

    def keep(self, messages: list[StoredMessage]) -> tuple[list[StoredMessage], int]:
        """The most recent :data:`PER_TARGET` of ``messages`` not delivered here yet
        (nor relayed by this process), and how many more there are."""
        delivered, own_prefix = self._delivered, self._own_prefix
        fresh = [
            m for m in messages if not m.msgid.startswith(own_prefix) and m.msgid not in delivered
        ]
        kept = fresh[-PER_TARGET:]
        return kept, len(fresh) - len(kept)


async def catch_up(
    server: Server,
    view: RemoteView,
    delivered: Delivered,
    own_prefix: str,
    since: datetime,
    until: datetime,
    *,
    held_since: datetime | None = None,
    doubtful: Collection[str] = (),
) -> int | None:
    """Deliver to local users the messages stored between ``since`` and ``until``
    by other processes that they have not been given yet, oldest first; return how
    many messages were delivered, or None if history failed (logged, not raised).

    Private messages are addressed to a nick, and while the network was split a
    nick could be held on two processes at once: they are caught up only for a
    local user who held its nick since ``held_since`` (the start of the outage)
    and whose nick is not in ``doubtful`` (given out here while Redis was away).
    What such a user missed is lost rather than shown to the wrong person."""
    if server.history is None:
        return None
    if delivered.covers_since is not None and delivered.covers_since > since:
        since = delivered.covers_since
    missed = _Missed(delivered, own_prefix)
    failed = False
    try:
        await _find_in_channels(server, missed, since, until)
        await _find_in_private(server, missed, since, until, held_since, doubtful)
    except StorageError as exc:
        # What was found before the failure is still delivered.
        log.error("Could not catch up from history: %s", exc)
        failed = True
    count = await _deliver(server, view, delivered, missed.found)
    _tell_left_out(server, missed.left_out)
    return None if failed else count


async def catch_up_channel(
    server: Server,
    view: RemoteView,
    delivered: Delivered,
    own_prefix: str,
    channel: str,
    since: datetime,
    until: datetime,
) -> int | None:
    """Deliver to the local members of ``channel`` (folded) the messages other
    processes stored in it between ``since`` and ``until`` that were not delivered
    here live (the subscribe gap of :mod:`.interest`); return how many, or None if
    history failed (logged, not raised)."""
    local = server.channels.get(channel)
    if server.history is None or local is None or not local.members:
        return 0
    missed = _Missed(delivered, own_prefix)
    try:
        kept, _missing = missed.keep(await _window(server, channel, since, until))
    except StorageError as exc:
        log.error("Could not catch up %s from history: %s", local.name, exc)
        return None
    found: list[tuple[StoredMessage, Event]] = [
        (m, ChannelMessage(channel, _line(m))) for m in kept
    ]
    return await _deliver(server, view, delivered, found)


async def _find_in_channels(
    server: Server, missed: _Missed, since: datetime, until: datetime
) -> None:
    """The messages of ``since``..``until`` in every channel with local members."""
    for channel in list(server.channels.values()):
        if channel.members:
            kept, missing = missed.keep(await _window(server, channel.folded, since, until))
            if missing:
                missed.left_out.append((list(channel.members), channel.name, missing))
            for message in kept:
                missed.found.append((message, ChannelMessage(channel.folded, _line(message))))


async def _find_in_private(
    server: Server,
    missed: _Missed,
    since: datetime,
    until: datetime,
    held_since: datetime | None,
    doubtful: Collection[str],
) -> None:
    """The private messages of ``since``..``until`` to each local user who surely
    held its nick all along (see :func:`catch_up`)."""
    store = server.history
    assert store is not None
    for folded, session in list(server.users.items()):
        if folded in doubtful or (held_since is not None and session.history_since > held_since):
            continue  # maybe meant for another holder of the nick
        activity = await store.targets(since, until, MAX_TARGETS, nick=folded)
        for target in (a.target for a in activity if is_dm_key(a.target)):
            mine: list[StoredMessage] = []
            for message in await _window(server, target, since, until):
                sender = casefold(message.source.split("!", 1)[0])
                if sender == folded or sender not in dm_peers(target):
                    continue  # our user sent it (or the source changed: skip)
                if message.time < session.history_since:
                    continue  # said to whoever had this nick before
                mine.append(message)
            kept, missing = missed.keep(mine)
            if missing:
                peer = kept[0].source.split("!", 1)[0]
                missed.left_out.append(([session], peer, missing))
            for message in kept:
                missed.found.append((message, PrivateMessage(folded, _line(message))))


async def _deliver(
    server: Server,
    view: RemoteView,
    delivered: Delivered,
    found: list[tuple[StoredMessage, Event]],
) -> int:
    """Hand ``found`` to local users oldest first, as live messages are, skipping
    what arrived live meanwhile; return how many were delivered. Yields to the event
    loop every :data:`CHUNK` messages."""
    found.sort(key=lambda pair: pair[0].time)  # stable: each conversation stays in order
    count = 0
    for message, event in found:
        if message.msgid in delivered:
            continue  # arrived live meanwhile
        deliver.apply(server, view, "history", event)
        delivered.add(message.msgid)
        count += 1
        if count % CHUNK == 0:
            await asyncio.sleep(0)  # let the heartbeat and the users' output run
    return count


def _tell_left_out(server: Server, left_out: list[tuple[list[Session], str, int]]) -> None:
    """Tell each user still here how many older messages of a conversation were not
    replayed (CHATHISTORY can fetch them)."""
    for sessions, target, missing in left_out:
        text = (
            f"{missing} older message{'' if missing == 1 else 's'} with {target} from while "
            f"the network was split {'was' if missing == 1 else 'were'} not replayed: "
            "your client can fetch them with CHATHISTORY."
        )
        for session in sessions:
            if not session.closed:
                session.send_line(Line("NOTICE", (session.nick, text), server.config.name))


async def _window(
    server: Server, target: str, since: datetime, until: datetime
) -> list[StoredMessage]:
    """Every PRIVMSG/NOTICE of ``target`` strictly between the two times, in order."""
    store = server.history
    assert store is not None
    start: Anchor = TimeAnchor(since)
    messages: list[StoredMessage] = []
    while True:
        page = await store.between(target, start, TimeAnchor(until), PAGE)
        messages.extend(m for m in page if m.kind is not MessageKind.TAGMSG)
        if len(page) < PAGE:
            return messages
        start = MsgidAnchor(page[-1].msgid)  # strictly after it, same-millisecond ties too


def _line(message: StoredMessage) -> Line:
    """The message as it was relayed live (CHATHISTORY builds its replay the same way)."""
    tags = {"time": format_time(message.time), "msgid": message.msgid, **message.tags}
    if message.account:
        tags["account"] = message.account
    return Line(message.kind.value, (message.target_param, message.text), message.source, tags)
