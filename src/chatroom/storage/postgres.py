"""History in PostgreSQL (through asyncpg), shared by every server process of a cluster.

Same contract as the SQLite backend (the same test suite runs against both); what differs:

* **Group commit on the loop.** ``append()`` puts the message on a deque and returns. One
  writer task takes everything that queued while its previous transaction ran (at most
  :data:`BATCH_MAX` rows) and writes it in one transaction with ``COPY`` (the fastest way
  into PostgreSQL), then calls each ``on_stored`` in append order, on the loop. There is no
  fixed delay: light traffic commits at once, heavy traffic makes bigger batches.
* **Order** is ``(time, seq)`` with ``seq`` a ``BIGSERIAL`` assigned on insert, exactly as
  SQLite's rowid: within one process, messages sharing a millisecond keep append order.
* **Durability.** ``on_stored(True)`` runs once ``COMMIT`` returned, so the message
  survives ``kill -9`` of the chat server (and, with the server's default
  ``synchronous_commit = on``, a crash of the database server too).
* **Queries** run on a small connection pool, through the same CHATHISTORY plans as the
  other backends (:func:`chatroom.storage.query.execute_async`).
* **Failures.** When the database cannot be reached or refuses a write (its disk is full,
  it is down, the connection is lost), the batch gets ``on_stored(False)`` (the server
  tells the senders), the store stops being :attr:`~PostgresHistoryStore.writable` (the
  server refuses new messages) and a rate-limited operator message is logged
  (:mod:`chatroom.storage.health`). A background task then reconnects, trying every
  :data:`RECONNECT_INTERVAL` seconds; batches fail at once until it succeeds, so no sender
  waits on a dead or unreachable database for longer than one write (bounded by
  *write_timeout*). While it has nothing to write the writer probes every *probe_interval*
  seconds (a transaction that writes a row and deletes it), and the store is writable
  again once one commits; the log says so. Queries raise :class:`StorageUnavailableError`
  meanwhile; the pool reconnects by itself. A commit whose reply was lost with the
  connection is reported ``False`` although it may have been stored: never stored twice,
  at worst acknowledged as missing.
* **Maintenance** (purge, retention) deletes in chunks of :data:`DELETE_CHUNK` rows, each
  its own short transaction on a pool connection: PostgreSQL's MVCC lets appends go on
  meanwhile.

Schema (``schema_version`` component ``history``), version history:

1. ``messages`` (``seq BIGSERIAL``, ``time`` in ms since the Unix epoch), indexed by
   ``(target, time, seq)`` and by ``time``; ``dm_participants`` for CHATHISTORY TARGETS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import asyncpg

from .base import (
    OnStored,
    StoredMessage,
)
from .conversations import dm_peers, is_dm_key
from .errors import StorageError, StoreClosedError
from .health import PROBE_INTERVAL, PROBE_NICK
from .history_sql import (
    COLUMNS,
    DM_TABLE,
    INDEX_BY_TARGET,
    INDEX_BY_TIME,
    INSERT_DM,
    INSERT_MESSAGE_IF_NEW,
    MESSAGES_TABLE,
    READ_MARKERS_TABLE,
    SEARCH_INDEX_POSTGRES,
    Row,
    probe,
    to_row,
)
from .postgres_db import (
    DB_ERRORS,
    AnyConnection,
    answer,
    check_dsn,
    describe_error,
    migrate,
    redact,
    row_count,
    run,
)
from .schema import Migration
from .sql import Commit, Dialect, SqlPlan, words
from .sql_store import SqlHistoryStore, deliver_all

__all__ = [
    "BATCH_MAX",
    "DELETE_CHUNK",
    "MIGRATIONS",
    "RECONNECT_INTERVAL",
    "PostgresHistoryStore",
    "open_history_postgres",
]

logger = logging.getLogger("chatroom.storage")

T = TypeVar("T")

#: Most messages written in one transaction; a larger backlog is committed in several.
BATCH_MAX = 2048
#: Most rows one maintenance transaction deletes.
DELETE_CHUNK = 5000
#: Seconds the writer waits after a failed connection attempt before trying again.
RECONNECT_INTERVAL = 1.0


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "messages, indexed by (target, time, seq), by msgid and by time; dm_participants",
        (
            words(MESSAGES_TABLE, Dialect.POSTGRES),
            INDEX_BY_TARGET,
            INDEX_BY_TIME,
            words(DM_TABLE, Dialect.POSTGRES),
        ),
    ),
    Migration(2, "a pg_trgm index of the text for SEARCH", SEARCH_INDEX_POSTGRES),
    Migration(
        3,
        "read_markers: per account and target (read-marker)",
        (words(READ_MARKERS_TABLE, Dialect.POSTGRES),),
    ),
)
_OWNED_TABLES = ("messages", "dm_participants")


@dataclass(slots=True)
class _Marker:
    """A flush (or, with *stop*, the close) waiting in the queue behind earlier appends."""

    future: asyncio.Future[None]
    stop: bool = False


_Item = tuple[StoredMessage, OnStored | None] | _Marker


class PostgresHistoryStore(SqlHistoryStore):
    """A :class:`~chatroom.storage.base.HistoryStore` kept in a PostgreSQL database.

    Create it with ``await PostgresHistoryStore.open(dsn)`` (or
    :func:`open_history_postgres`) on the event loop that will use it; end it with
    ``await close()`` before that loop stops. Any number of server processes may use the
    same database at once.
    """

    def __init__(
        self,
        dsn: str,
        writer: asyncpg.Connection,
        pool: asyncpg.Pool,
        *,
        connect_timeout: float,
        command_timeout: float,
        write_timeout: float,
        probe_interval: float = PROBE_INTERVAL,
    ) -> None:
        """Private: use :meth:`open`."""
        super().__init__(asyncio.get_running_loop(), probe_interval)
        self.dsn = dsn
        self._writer: asyncpg.Connection | None = writer
        self._pool = pool
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._write_timeout = write_timeout
        self._reconnect_task: asyncio.Task[None] | None = None
        self._pending: deque[_Item] = deque()
        self._wakeup = asyncio.Event()
        # The probe row's target: unique to this store, since processes share the table.
        self._probe_target = f"probe:{id(self):x}:{time.time_ns():x}:" + "x" * 1024
        self._writer_task = self._loop.create_task(
            self._writer_main(), name="chatroom-history-writer"
        )

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        pool_size: int = 4,
        connect_timeout: float = 5.0,
        command_timeout: float = 30.0,
        write_timeout: float = 5.0,
        probe_interval: float = PROBE_INTERVAL,
    ) -> PostgresHistoryStore:
        """Connect to the database at *dsn*, creating or migrating the history tables.

        *pool_size* is the most queries run at once; *connect_timeout*, *command_timeout*
        and *write_timeout* (seconds) bound how long a connection attempt, a query or
        maintenance statement, and one batch of appends may take before it counts as a
        failure (keep *write_timeout* short: senders wait for it). *probe_interval* is how
        often, in seconds, the writer tries a write while the store is not writable.

        Raises ``ValueError`` for a URL that is not ``postgresql://``,
        :class:`~chatroom.storage.errors.SchemaError` (tables newer than this program, or
        not ours), :class:`StorageUnavailableError` for anything else (server down,
        database missing, authentication refused …).
        """
        check_dsn(dsn)
        pool: asyncpg.Pool | None = None
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=pool_size,
                timeout=connect_timeout,
                command_timeout=command_timeout,
            )
            async with pool.acquire() as conn:
                await migrate(conn, "history", MIGRATIONS, _OWNED_TABLES)
            writer = await asyncpg.connect(
                dsn, timeout=connect_timeout, command_timeout=write_timeout
            )
        except BaseException as exc:
            if pool is not None:
                pool.terminate()
            if isinstance(exc, DB_ERRORS):
                raise describe_error(exc, "history", dsn) from exc
            raise
        logger.info("history: using %s", redact(dsn))
        return cls(
            dsn,
            writer,
            pool,
            connect_timeout=connect_timeout,
            command_timeout=command_timeout,
            write_timeout=write_timeout,
            probe_interval=probe_interval,
        )

    # --- writes ------------------------------------------------------------------------------

    def _enqueue(self, message: StoredMessage, on_stored: OnStored | None) -> None:
        self._pending.append((message, on_stored))
        self._wakeup.set()

    async def _flush(self) -> None:
        marker = _Marker(self._loop.create_future())
        self._pending.append(marker)
        self._wakeup.set()
        await asyncio.shield(marker.future)

    async def _shutdown(self) -> None:
        # 1. The writer: everything appended before close() is ahead of the stop marker.
        stop = _Marker(self._loop.create_future(), stop=True)
        self._pending.append(stop)
        self._wakeup.set()
        await stop.future
        await self._writer_task
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect_task
        # 2. Its connection, then the pool (which waits for queries in flight).
        self._drop_writer()
        try:
            await asyncio.wait_for(self._pool.close(), self._command_timeout)
        except DB_ERRORS:  # includes the timeout
            self._pool.terminate()
        logger.info("history: closed %s", redact(self.dsn))

    async def _writer_main(self) -> None:
        pending = self._pending
        while True:
            if not pending:
                self._wakeup.clear()
                if self._health.writable:
                    await self._wakeup.wait()
                    continue
                try:
                    await asyncio.wait_for(self._wakeup.wait(), self._probe_interval)
                except TimeoutError:
                    await self._probe()
                continue
            head = pending[0]
            if isinstance(head, _Marker):
                pending.popleft()
                if not head.future.done():
                    head.future.set_result(None)
                if head.stop:
                    return
                continue
            # Group commit: everything that queued while the last transaction ran.
            batch: list[tuple[StoredMessage, OnStored | None]] = []
            while pending and len(batch) < BATCH_MAX:
                item = pending[0]
                if isinstance(item, _Marker):
                    break
                batch.append(item)
                pending.popleft()
            try:
                results = await self._write(batch)
            except Exception:  # a bug, not the database: keep the writer alive
                logger.exception("history: could not store %d message(s)", len(batch))
                results = [False] * len(batch)
            deliver_all([(cb, ok) for (_, cb), ok in zip(batch, results, strict=True) if cb])

    async def _write(self, batch: list[tuple[StoredMessage, OnStored | None]]) -> list[bool]:
        rows = [to_row(message) for message, _ in batch]
        try:
            conn = self._connection()
            if conn is None:  # reconnecting in the background: fail fast, keep chat moving
                return self._failed(None, len(rows))
            try:
                async with conn.transaction():
                    await conn.copy_records_to_table("messages", records=rows, columns=COLUMNS)
                    await self._note_dms(conn, rows)
                results = [True] * len(rows)
            except asyncpg.UniqueViolationError:
                # A msgid stored already. COPY is all or nothing: write row by row so that
                # only the culprit fails.
                results = await self._write_each(conn, rows)
        except DB_ERRORS as exc:
            self._drop_writer()
            return self._failed(exc, len(rows))
        self._health.succeeded()
        return results

    async def _probe(self) -> None:
        """Try a write that leaves nothing behind; writable again if it commits."""
        try:
            conn = self._connection()
            if conn is None:  # still reconnecting
                self._failed(None, 0)
                return
            async with conn.transaction():
                await run(conn, probe(self._probe_target, PROBE_NICK))
        except DB_ERRORS as exc:
            self._drop_writer()
            self._failed(exc, 0)
        except Exception as exc:  # a bug, not the database: still rate-limited, refusing
            self._failed(StorageError(f"the write probe failed: {exc!r}"), 0)
        else:
            self._health.succeeded()

    async def _write_each(self, conn: asyncpg.Connection, rows: list[Row]) -> list[bool]:
        results: list[bool] = []
        async with conn.transaction():
            for row in rows:
                results.append(
                    row_count(await conn.execute(INSERT_MESSAGE_IF_NEW.postgres.sql, *row)) == 1
                )
                if not results[-1]:
                    logger.warning("history: not storing a second message with msgid %r", row[0])
            await self._note_dms(conn, [row for row, ok in zip(rows, results, strict=True) if ok])
        return results

    @staticmethod
    async def _note_dms(conn: asyncpg.Connection, rows: list[Row]) -> None:
        # No cache of known conversations (unlike SQLite): another process may purge one.
        dms = {row[2] for row in rows if is_dm_key(row[2])}
        if dms:
            pairs = [(nick, target) for target in sorted(dms) for nick in dm_peers(target)]
            await conn.executemany(INSERT_DM.postgres.sql, pairs)

    def _connection(self) -> asyncpg.Connection | None:
        """The writer's connection; None (and a reconnection under way) if it was lost."""
        if self._writer is not None and not self._writer.is_closed():
            return self._writer
        self._writer = None
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = self._loop.create_task(
                self._reconnect(), name="chatroom-history-reconnect"
            )
        return None

    async def _reconnect(self) -> None:
        while not self._closed:
            try:
                self._writer = await asyncpg.connect(
                    self.dsn, timeout=self._connect_timeout, command_timeout=self._write_timeout
                )
                return
            except DB_ERRORS:
                await asyncio.sleep(RECONNECT_INTERVAL)

    def _drop_writer(self) -> None:
        # terminate(), not close(): close() waits for a server that may be gone, and no
        # transaction is open between batches, so there is nothing to finish politely.
        writer, self._writer = self._writer, None
        if writer is not None and not writer.is_closed():
            writer.terminate()

    def _failed(self, exc: BaseException | None, count: int) -> list[bool]:
        """Note a failed write of *count* messages (the log is rate-limited)."""
        if isinstance(exc, StorageError):
            reason: object = exc
        elif exc is not None:
            reason = describe_error(exc, "history", self.dsn)
        else:
            reason = "the database was unreachable a moment ago; reconnecting"
        self._health.failed(count, reason)
        return [False] * count

    # --- queries -----------------------------------------------------------------------------

    async def _read(self, plan: SqlPlan[T]) -> T:
        return await self._on_pool(lambda conn: run(conn, plan))

    async def _on_pool(self, work: Callable[[AnyConnection], Awaitable[T]]) -> T:
        if self._closed:
            raise StoreClosedError()
        try:
            async with self._pool.acquire(timeout=self._connect_timeout) as conn:
                return await work(conn)
        except StorageError:
            raise
        except DB_ERRORS as exc:
            if self._closed:
                raise StoreClosedError() from exc
            error = describe_error(exc, "history", self.dsn)
            logger.error("history: a query failed: %s", error)
            raise error from exc

    # --- maintenance: each statement in a short transaction of its own ---------------------

    def _delete_chunk(self) -> int:
        return DELETE_CHUNK

    async def _before_maintenance(self) -> None:
        await self.flush()  # appends queued before the call are included

    async def _maintain(self, plan: SqlPlan[int]) -> int:
        """Run a maintenance plan, each statement in its own transaction on a pool
        connection (so appends go on meanwhile); stops between two once closed."""
        sent: object = None
        while True:
            try:
                step = plan.send(sent)
            except StopIteration as done:
                return int(done.value)
            sent = (
                None
                if isinstance(step, Commit)
                else await self._on_pool(partial(answer, step=step))
            )


async def open_history_postgres(dsn: str, **options: Any) -> PostgresHistoryStore:
    """Open the history store in the PostgreSQL database at *dsn*
    (``postgresql://user:password@host:port/database``); options and errors as for
    :meth:`PostgresHistoryStore.open`."""
    return await PostgresHistoryStore.open(dsn, **options)
