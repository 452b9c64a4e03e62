"""In-memory history store: the test double, and the backend when history is turned off.

It keeps the same contract as the SQLite backend (one shared test suite runs against both):
``on_stored`` runs later on the loop, never inside ``append``; queries follow IRCv3
chathistory through :mod:`chatroom.storage.query`. Nothing survives the process.

For server tests of the failure paths, set :attr:`MemoryHistoryStore.fail_writes` (appends
report ``on_stored(False)`` and the store is not :attr:`~MemoryHistoryStore.writable`, as a
real backend whose disk is full; clearing it is the probe that succeeds) or
:attr:`MemoryHistoryStore.fail_queries` (queries raise ``StorageUnavailableError``).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .base import (
    EVENT_KINDS,
    HistoryQuery,
    MessageKind,
    OnStored,
    Search,
    StoredMessage,
    TargetActivity,
    from_ms,
    to_ms,
    utc_now,
)
from .conversations import dm_peers, is_dm_key
from .errors import StorageUnavailableError, StoreClosedError
from .query import Key, QueryShortcuts, execute, find_targets
from .retention import check_retention_args

__all__ = ["MemoryHistoryStore"]

logger = logging.getLogger("chatroom.storage")


@dataclass
class _Conversation:
    """One target's messages, kept sorted by key; ``keys[i]`` belongs to ``messages[i]``."""

    keys: list[Key] = field(default_factory=list)
    messages: list[StoredMessage] = field(default_factory=list)


class _MemoryIndex:
    """The :class:`~chatroom.storage.query.HistoryIndex` primitives over Python lists."""

    def __init__(self) -> None:
        self.conversations: dict[str, _Conversation] = {}
        self.by_msgid: dict[str, tuple[str, Key]] = {}
        self.dms: dict[str, set[str]] = {}
        self.seq = 0

    # -- writes

    def insert(self, message: StoredMessage) -> bool:
        if message.msgid in self.by_msgid:
            return False  # msgid is unique, as in the SQLite schema
        self.seq += 1
        key = (message.time_ms, self.seq)
        conv = self.conversations.setdefault(message.target, _Conversation())
        at = bisect.bisect_right(conv.keys, key)
        conv.keys.insert(at, key)
        conv.messages.insert(at, message)
        self.by_msgid[message.msgid] = (message.target, key)
        if is_dm_key(message.target):
            for nick in dm_peers(message.target):
                self.dms.setdefault(nick, set()).add(message.target)
        return True

    def delete_first(self, target: str, count: int) -> int:
        """Delete the *count* oldest messages of *target*; return how many went."""
        conv = self.conversations.get(target)
        if conv is None or count <= 0:
            return 0
        gone = conv.messages[:count]
        del conv.keys[:count], conv.messages[:count]
        return self._forget(target, gone)

    def delete_at(self, target: str, doomed: set[int]) -> int:
        """Delete the messages of *target* at the positions *doomed*; return how many."""
        conv = self.conversations[target]
        if not doomed:
            return 0
        keep = [i for i in range(len(conv.messages)) if i not in doomed]
        gone = [m for i, m in enumerate(conv.messages) if i in doomed]
        conv.keys[:] = [conv.keys[i] for i in keep]
        conv.messages[:] = [conv.messages[i] for i in keep]
        return self._forget(target, gone)

    def _forget(self, target: str, gone: list[StoredMessage]) -> int:
        """Forget the ids of *gone* (just deleted from *target*), and *target* if empty."""
        for message in gone:
            del self.by_msgid[message.msgid]
        if not self.conversations[target].messages:
            del self.conversations[target]
            if is_dm_key(target):
                for nick in dm_peers(target):
                    self.dms[nick].discard(target)
        return len(gone)

    # -- HistoryIndex

    def key_of(self, target: str, msgid: str) -> Key | None:
        found = self.by_msgid.get(msgid)
        if found is None or found[0] != target:
            return None
        return found[1]

    def scan(
        self, target: str, lo: Key, hi: Key, limit: int, newest_first: bool, events: bool
    ) -> list[StoredMessage]:
        conv = self.conversations.get(target)
        if conv is None or limit <= 0:
            return []
        start = bisect.bisect_right(conv.keys, lo)
        end = bisect.bisect_left(conv.keys, hi)
        if start >= end:
            return []
        if not events:
            span = conv.messages[start:end]
            # What a client without draft/event-playback may be sent (see history_sql._TEXT_ONLY).
            ordered = span[::-1] if newest_first else span
            kept = [m for m in ordered if m.kind in (MessageKind.PRIVMSG, MessageKind.NOTICE)]
            return kept[:limit]
        if newest_first:
            return conv.messages[max(start, end - limit) : end][::-1]
        return conv.messages[start : min(end, start + limit)]

    def latest_time(self, target: str, lo_ms: int, hi_ms: int) -> int | None:
        conv = self.conversations.get(target)
        if conv is None:
            return None
        end = bisect.bisect_left(conv.keys, (hi_ms, 0))
        while end and conv.keys[end - 1][0] > lo_ms:
            if conv.messages[end - 1].kind not in EVENT_KINDS:
                return conv.keys[end - 1][0]
            end -= 1
        return None

    def find(self, target: str, msgid: str) -> tuple[_Conversation, int] | None:
        """The conversation holding *msgid* of *target*, and its position there."""
        key = self.key_of(target, msgid)
        if key is None:
            return None
        conv = self.conversations[target]
        return conv, bisect.bisect_left(conv.keys, key)

    def dm_targets(self, nick: str) -> list[str]:
        return sorted(self.dms.get(nick, ()))


def _matches(search: Search, message: StoredMessage) -> bool:
    """Whether *message* passes *search*'s filters other than where it was said."""
    if message.kind not in (MessageKind.PRIVMSG, MessageKind.NOTICE):
        return False  # what people said, not TAGMSGs nor channel events
    if search.after is not None and message.time < search.after:
        return False
    if search.before is not None and message.time > search.before:
        return False
    if search.sender is not None and message.source.partition("!")[0].lower() != search.sender:
        return False
    return search.text.casefold() in message.text.casefold()


def _deliver(on_stored: OnStored, ok: bool) -> None:
    try:
        on_stored(ok)
    except Exception:
        logger.exception("on_stored callback failed")


class MemoryHistoryStore(QueryShortcuts):
    """A :class:`~chatroom.storage.base.HistoryStore` that keeps everything in memory.

    Build it with no arguments; it binds to the running loop on first use. Every operation
    is immediate, but ``on_stored`` is still scheduled with ``call_soon`` so callers see the
    same ordering as with a real backend.
    """

    def __init__(self) -> None:
        self._index = _MemoryIndex()
        self._markers: dict[tuple[str, str], datetime] = {}
        self._closed = False
        #: When true, appends fail (``on_stored(False)``) as if the disk were full.
        self.fail_writes = False
        #: When true, queries raise ``StorageUnavailableError`` as if the disk had failed.
        self.fail_queries = False

    @property
    def writable(self) -> bool:
        """False while :attr:`fail_writes` is set; see :attr:`HistoryStore.writable`."""
        return not self.fail_writes

    def append(self, message: StoredMessage, on_stored: OnStored | None = None) -> None:
        """Store *message*; see :meth:`HistoryStore.append`. Must run on the event loop."""
        loop = asyncio.get_running_loop()
        ok = not self._closed and not self.fail_writes and self._index.insert(message)
        if on_stored is not None:
            loop.call_soon(_deliver, on_stored, ok)

    async def flush(self) -> None:
        """Let the ``on_stored`` callbacks already scheduled run, then return."""
        await asyncio.sleep(0)

    async def close(self) -> None:
        """Flush and mark the store closed. Idempotent."""
        await self.flush()
        self._closed = True

    def _check(self) -> None:
        if self._closed:
            raise StoreClosedError()
        if self.fail_queries:
            raise StorageUnavailableError("history is unavailable (simulated failure).")

    async def query(self, query: HistoryQuery) -> list[StoredMessage]:
        """Run one CHATHISTORY message query; see :func:`chatroom.storage.query.execute`."""
        self._check()
        return execute(self._index, query)

    async def targets(
        self,
        start: datetime,
        end: datetime,
        limit: int,
        *,
        channels: Iterable[str] = (),
        nick: str | None = None,
    ) -> list[TargetActivity]:
        """``CHATHISTORY TARGETS``; see :meth:`HistoryStore.targets`."""
        self._check()
        return find_targets(self._index, start, end, limit, channels, nick)

    async def search(self, search: Search) -> list[StoredMessage]:
        """Run a full-text search (a scan of the conversations it may read); newest first."""
        self._check()
        where = set(search.targets)
        if search.dms_of is not None:
            where.update(self._index.dm_targets(search.dms_of))
        found: list[tuple[int, StoredMessage]] = []
        for target in where:
            conv = self._index.conversations.get(target)
            if conv is not None:
                found.extend(
                    (key[1], m)
                    for key, m in zip(conv.keys, conv.messages, strict=True)
                    if _matches(search, m)
                )
        found.sort(key=lambda pair: (pair[1].time, pair[0]), reverse=True)
        return [message for _, message in found[: search.limit]]

    async def purge(self, target: str) -> int:
        """Delete all of *target*'s history; return the number of messages deleted."""
        self._check()
        conv = self._index.conversations.get(target)
        return self._index.delete_first(target, len(conv.messages)) if conv else 0

    async def message(self, target: str, msgid: str) -> StoredMessage | None:
        """See :meth:`HistoryStore.message`."""
        self._check()
        found = self._index.find(target, msgid)
        return None if found is None else found[0].messages[found[1]]

    async def redact(self, target: str, msgid: str, source: str, account: str | None) -> bool:
        """See :meth:`HistoryStore.redact`."""
        self._check()
        if self.fail_writes:
            raise StorageUnavailableError("history is unavailable (simulated failure).")
        found = self._index.find(target, msgid)
        if found is None:
            return False
        conv, at = found
        old = conv.messages[at]
        if old.kind in EVENT_KINDS:
            return False
        kind = MessageKind.REDACT
        conv.messages[at] = replace(
            old, kind=kind, text="", tags={}, source=source, account=account
        )
        return True

    async def read_marker(self, account: str, target: str) -> datetime | None:
        """See :meth:`HistoryStore.read_marker`."""
        self._check()
        return self._markers.get((account, target))

    async def set_read_marker(self, account: str, target: str, time: datetime) -> datetime:
        """See :meth:`HistoryStore.set_read_marker`."""
        self._check()
        if self.fail_writes:
            raise StorageUnavailableError("history is unavailable (simulated failure).")
        time = from_ms(to_ms(time))
        stored = self._markers.get((account, target))
        if stored is None or time > stored:
            self._markers[account, target] = stored = time
        return stored

    async def apply_retention(
        self,
        max_age: timedelta | None = None,
        max_per_target: int | None = None,
        *,
        now: datetime | None = None,
    ) -> int:
        """Apply the retention rules; see :meth:`HistoryStore.apply_retention`."""
        check_retention_args(max_age, max_per_target)
        self._check()
        deleted = 0
        cutoff = None if max_age is None else to_ms((now or utc_now()) - max_age)
        for target, conv in list(self._index.conversations.items()):
            drop = 0
            if cutoff is not None:
                drop = bisect.bisect_left(conv.keys, (cutoff, 0))
            deleted += self._index.delete_first(target, drop)
            if max_per_target is not None and target in self._index.conversations:
                # The newest messages are kept, and apart from them the newest events.
                kinds = [m.kind in EVENT_KINDS for m in conv.messages]
                doomed = set[int]()
                for event in (False, True):
                    at = [i for i, is_event in enumerate(kinds) if is_event is event]
                    doomed.update(at[: max(0, len(at) - max_per_target)])
                deleted += self._index.delete_at(target, doomed)
        return deleted
