"""What the two SQL history backends share: the public face of a store over SQL plans.

:class:`SqlHistoryStore` holds the lifecycle (closed stores refuse appends with
``on_stored(False)``, ``close()`` is idempotent and every caller waits for one shutdown),
the write health, and the queries and maintenance as plans of
:mod:`chatroom.storage.history_sql`. A backend supplies how an append is queued and a
flush waits, how a read plan and a maintenance plan reach its driver, and its shutdown:
SQLite's writer thread and PostgreSQL's writer task stay apart.
"""

from __future__ import annotations

import asyncio
import logging
from abc import abstractmethod
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from .base import (
    HistoryQuery,
    OnStored,
    Search,
    StoredMessage,
    TargetActivity,
    from_ms,
    to_ms,
    utc_now,
)
from .health import PROBE_INTERVAL, WriteHealth
from .history_sql import (
    message,
    over_sql,
    purge,
    read_marker,
    redact,
    retention,
    set_read_marker,
    targets_over,
)
from .query import QueryShortcuts, plan_query, plan_targets
from .retention import check_retention_args
from .search_sql import search
from .sql import SqlPlan

__all__ = ["SqlHistoryStore", "deliver_all"]

logger = logging.getLogger("chatroom.storage")

T = TypeVar("T")


def deliver_all(results: list[tuple[OnStored, bool]]) -> None:
    """Call each ``on_stored`` with its result; a failing callback is logged, not raised."""
    for on_stored, ok in results:
        try:
            on_stored(ok)
        except Exception:
            logger.exception("on_stored callback failed")


class SqlHistoryStore(QueryShortcuts):
    """A :class:`~chatroom.storage.base.HistoryStore` over SQL plans; see the module."""

    def __init__(self, loop: asyncio.AbstractEventLoop, probe_interval: float = PROBE_INTERVAL):
        self._loop = loop
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None
        self._health = WriteHealth()
        self._probe_interval = probe_interval

    # --- what a backend supplies -------------------------------------------------------------

    @abstractmethod
    def _enqueue(self, message: StoredMessage, on_stored: OnStored | None) -> None:
        """Queue one append for the writer (the store is open)."""

    @abstractmethod
    async def _flush(self) -> None:
        """Return once the appends queued so far are committed or failed (store open)."""

    @abstractmethod
    async def _shutdown(self) -> None:
        """Commit what is queued, then close every connection (runs once)."""

    @abstractmethod
    async def _read(self, plan: SqlPlan[T]) -> T:
        """Run a read-only plan; raise ``StoreClosedError`` once closed."""

    @abstractmethod
    async def _maintain(self, plan: SqlPlan[int]) -> int:
        """Run a chunked DELETE plan without holding up appends for long."""

    @abstractmethod
    def _delete_chunk(self) -> int:
        """The most rows one maintenance transaction deletes."""

    async def _before_maintenance(self) -> None:
        """Called first by purge and retention (PostgreSQL: flush, so queued appends count)."""

    # --- writes ------------------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        """Whether writes work; see :attr:`HistoryStore.writable`."""
        return self._health.writable

    def append(self, message: StoredMessage, on_stored: OnStored | None = None) -> None:
        """Queue *message*; see :meth:`HistoryStore.append`. Call it on the event loop."""
        if self._closed:
            if on_stored is not None:
                self._loop.call_soon(deliver_all, [(on_stored, False)])
            return
        self._enqueue(message, on_stored)

    async def flush(self) -> None:
        """Return once every earlier append has been committed (or has failed) and its
        ``on_stored`` has run. Returns at once after :meth:`close`."""
        if self._closed:
            if self._close_task is not None:
                await asyncio.shield(self._close_task)
            return
        await self._flush()

    async def close(self) -> None:
        """Stop taking work, commit every queued message (reporting ``False`` for those the
        database refuses), close the connections once the queries in flight are done.
        Idempotent; concurrent calls all wait for the same shutdown."""
        if self._close_task is None:
            self._closed = True
            self._close_task = self._loop.create_task(self._shutdown())
        await asyncio.shield(self._close_task)

    # --- queries -----------------------------------------------------------------------------

    async def query(self, query: HistoryQuery) -> list[StoredMessage]:
        """Run one CHATHISTORY message query; see :func:`chatroom.storage.query.execute`."""
        return await self._read(over_sql(plan_query(query)))

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
        return await self._read(over_sql(plan_targets(start, end, limit, channels, nick)))

    async def search(self, query: Search) -> list[StoredMessage]:
        """Run a full-text search; see :meth:`HistoryStore.search`."""
        return await self._read(search(query))

    # --- redaction --------------------------------------------------------------------------

    async def message(self, target: str, msgid: str) -> StoredMessage | None:
        """See :meth:`HistoryStore.message`."""
        return await self._read(message(target, msgid))

    async def redact(self, target: str, msgid: str, source: str, account: str | None) -> bool:
        """See :meth:`HistoryStore.redact`; runs on the writer, as maintenance does."""
        return bool(await self._maintain(redact(target, msgid, source, account)))

    # --- read markers ------------------------------------------------------------------------

    async def read_marker(self, account: str, target: str) -> datetime | None:
        """See :meth:`HistoryStore.read_marker`."""
        ms = await self._read(read_marker(account, target))
        return None if ms is None else from_ms(ms)

    async def set_read_marker(self, account: str, target: str, time: datetime) -> datetime:
        """See :meth:`HistoryStore.set_read_marker`; runs on the writer, as maintenance does."""
        return from_ms(await self._maintain(set_read_marker(account, target, to_ms(time))))

    # --- maintenance -------------------------------------------------------------------------

    async def purge(self, target: str) -> int:
        """Delete all of *target*'s history; return the number of messages deleted.

        Runs in chunks between appends. If the store is closed meanwhile, the purge stops
        between two chunks and raises ``StoreClosedError``: run it again after a restart.
        """
        await self._before_maintenance()
        deleted = await self._maintain(purge(target, self._delete_chunk()))
        if deleted:
            logger.info("history: purged %d message(s) of %s", deleted, target)
        return deleted

    async def apply_retention(
        self,
        max_age: timedelta | None = None,
        max_per_target: int | None = None,
        *,
        now: datetime | None = None,
    ) -> int:
        """Apply the retention rules; see :meth:`HistoryStore.apply_retention`.

        Which targets exceed *max_per_target* is found by a read; the deletions run in
        chunks, interleaved with live appends, and are idempotent (several processes may
        run them at once). Closing the store stops them between two chunks
        (``StoreClosedError``); the next run finishes the work.
        """
        check_retention_args(max_age, max_per_target)
        await self._before_maintenance()
        cutoff = None if max_age is None else to_ms((now or utc_now()) - max_age)
        over = [] if max_per_target is None else await self._read(targets_over(max_per_target))
        plan = retention(cutoff, max_per_target, over, self._delete_chunk())
        deleted = await self._maintain(plan)
        if deleted:
            logger.info("history: retention deleted %d message(s)", deleted)
        return deleted
