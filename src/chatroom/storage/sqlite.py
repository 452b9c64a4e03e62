"""The default history backend: one SQLite file in WAL mode, written with group commit.

How it works, and why:

* **One writer thread** owns the only writing connection, so there is never lock contention
  inside the process. ``append()`` puts the message on a queue and returns (it costs the
  event loop one ``SimpleQueue.put``). The writer takes everything that accumulated while
  its previous commit ran and writes it in one transaction (``executemany``, at most
  :data:`BATCH_MAX` rows), then commits: that is group commit without any fixed delay, so
  commit latency is one transaction when traffic is light and throughput grows with load.
* **Durability.** ``journal_mode=WAL`` with ``synchronous=NORMAL``: a committed transaction
  is in the WAL file, which survives ``kill -9`` of the process (not necessarily a power
  cut: that would need ``synchronous=FULL`` and an fsync per commit). ``on_stored(True)``
  is posted to the loop only after ``COMMIT`` returned, with one ``call_soon_threadsafe``
  per batch.
* **Readers.** Queries run on a separate reader thread with its own connection; WAL lets it
  read while the writer writes, so a slow history request never delays a commit.
* **Maintenance** (purge, retention) runs on the writer thread in chunks of
  :data:`DELETE_CHUNK` rows per transaction, re-queued behind waiting appends, so a big
  purge never holds up live messages for long.
* **Search index** (FTS5): behind the writes. The writer indexes the stored rows in small
  batches of their own when its queue is empty, checking the queue between batches, so
  appends never wait for tokenizing; SEARCH scans the few rows not indexed yet (see
  :mod:`chatroom.storage.sqlite_index`).
* **Failures** (disk full, locked, I/O error, corruption): the batch's transaction is rolled
  back, its messages get ``on_stored(False)`` (the server tells their senders), the store
  stops being :attr:`~SQLiteHistoryStore.writable` (the server refuses new messages) and
  an operator message is logged on the ``chatroom.storage`` logger (see
  :mod:`chatroom.storage.health`). The writer carries on with the next batch; while it has
  none it probes, every *probe_interval* seconds, with a transaction that writes a row and
  deletes it again, and the store is writable again once one commits. Rows committed
  earlier are never touched by a failed transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from .base import (
    HISTORY_FILENAME,
    OnStored,
    StoredMessage,
    default_data_dir,
)
from .conversations import dm_peers, is_dm_key
from .errors import (
    StorageUnavailableError,
    StoreClosedError,
)
from .health import PROBE_INTERVAL, PROBE_NICK
from .history_sql import (
    INSERT_DM,
    INSERT_MESSAGE,
    probe,
)
from .sql import SqlPlan
from .sql_store import SqlHistoryStore, deliver_all
from .sqlite_db import Row, advance, describe_error, open_reader, open_writer, run, to_row
from .sqlite_index import index_batch

__all__ = ["BATCH_MAX", "DELETE_CHUNK", "SQLiteHistoryStore", "open_history"]

logger = logging.getLogger("chatroom.storage")

T = TypeVar("T")

#: Most messages written in one transaction; a larger backlog is committed in several.
BATCH_MAX = 2048
#: Most rows one maintenance transaction deletes before letting appends through.
DELETE_CHUNK = 5000
#: The probe row's ``target``: a page's worth, so the probe needs room as a message does.
_PROBE_TARGET = "probe:" + "x" * 1024

BUSY_TIMEOUT = 5.0
"""Seconds a write waits for the lock another process holds (``--workers`` share one
file) before it fails. Commits are short, so only a stuck process makes one wait long;
failing sooner would refuse messages (a store that cannot write refuses them)."""


class _Job:
    """Work for the writer thread other than appends. ``step`` returns True when finished;
    otherwise the job goes back on the queue, behind the appends that arrived meanwhile."""

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self.future = future

    def step(self, conn: sqlite3.Connection) -> bool:
        return True

    def result(self) -> Any:
        return None


class _IndexJob(_Job):
    """Index one batch per step until the search index has caught up."""

    def step(self, conn: sqlite3.Connection) -> bool:
        return index_batch(conn) == 0


class _Stop(_Job):
    """The last item the writer takes: close the connection and end the thread."""


class _PlanJob(_Job):
    """Run an SQL plan (:mod:`chatroom.storage.sql`), one transaction per step: the plan's
    ``COMMIT`` ends a step, and the job goes back on the queue behind waiting appends."""

    def __init__(self, future: asyncio.Future[Any], plan: SqlPlan[Any]) -> None:
        super().__init__(future)
        self.plan = plan
        self.value: Any = None

    def step(self, conn: sqlite3.Connection) -> bool:
        conn.execute("BEGIN IMMEDIATE")
        try:
            done, self.value = advance(conn, self.plan)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (SQLITE_FULL …)
                conn.execute("ROLLBACK")
            raise
        return done

    def result(self) -> Any:
        return self.value


_Item = tuple[StoredMessage, OnStored | None] | _Job


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting task was cancelled: nobody wants the answer
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class SQLiteHistoryStore(SqlHistoryStore):
    """A :class:`~chatroom.storage.base.HistoryStore` kept in one SQLite file.

    Create it with ``await SQLiteHistoryStore.open(path)`` (or :func:`open_history` for a
    data directory) from the event loop that will use it; end it with ``await close()``
    before that loop stops. A process that exits without ``close()`` loses only what was not
    yet committed, exactly as with ``kill -9``: acknowledged messages are safe either way.

    One server process per database file: a second process writing the same file makes
    both see "database is locked" failures.
    """

    def __init__(
        self,
        path: Path,
        loop: asyncio.AbstractEventLoop,
        conn: sqlite3.Connection,
        reader_pool: ThreadPoolExecutor,
        reader: sqlite3.Connection,
        probe_interval: float = PROBE_INTERVAL,
    ) -> None:
        """Private: use :meth:`open`."""
        super().__init__(loop, probe_interval)
        self.path = path
        self._conn = conn
        self._reader_pool = reader_pool
        self._reader = reader
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        # Writer-thread state (``writable`` is read on the loop; a bool is safe to share).
        self._known_dms: set[str] = set()
        self._index_pending = True  # a restart resumes from the mark
        self._writer = threading.Thread(
            target=self._writer_main, name="chatroom-history-writer", daemon=True
        )
        self._writer.start()

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        max_bytes: int | None = None,
        busy_timeout: float = BUSY_TIMEOUT,
        probe_interval: float = PROBE_INTERVAL,
    ) -> SQLiteHistoryStore:
        """Open (creating or migrating it as needed) the history database at *path*.

        *max_bytes* caps the size of the database file (SQLite ``max_page_count``); when it
        is reached appends fail as on a full disk. *busy_timeout* is how long, in seconds, a
        write waits for a lock held by another process before failing. *probe_interval* is
        how often, in seconds, the writer tries a write while the store is not writable.

        Raises :class:`StorageCorruptError` if the file is damaged or not a database,
        :class:`~chatroom.storage.errors.SchemaError` if it is newer than this program or
        belongs to another program, :class:`StorageUnavailableError` for anything else
        (directory missing or not writable, disk full during a migration …).
        """
        loop = asyncio.get_running_loop()
        path = Path(path)
        try:
            conn = await asyncio.to_thread(open_writer, path, busy_timeout, max_bytes)
        except sqlite3.Error as exc:
            raise describe_error(exc, path) from exc
        pool = ThreadPoolExecutor(1, thread_name_prefix="chatroom-history-reader")
        try:
            reader = await loop.run_in_executor(pool, open_reader, path, busy_timeout)
        except BaseException as exc:
            conn.close()
            pool.shutdown(wait=False)
            if isinstance(exc, sqlite3.Error):
                raise describe_error(exc, path) from exc
            raise
        logger.info("history: using %s", path)
        return cls(path, loop, conn, pool, reader, probe_interval)

    # --- writes ------------------------------------------------------------------------------

    def _enqueue(self, message: StoredMessage, on_stored: OnStored | None) -> None:
        self._queue.put((message, on_stored))

    async def _flush(self) -> None:
        await self._submit(_Job(self._loop.create_future()))

    async def _shutdown(self) -> None:
        # 1. Readers first: queries already submitted finish, then the read connection
        #    closes, so the writer's connection is the last one and can checkpoint the WAL.
        try:
            await self._loop.run_in_executor(self._reader_pool, self._reader.close)
        except sqlite3.Error as exc:
            logger.error("history: closing failed: %s", describe_error(exc, self.path))
        finally:
            self._reader_pool.shutdown(wait=False)
        # 2. The writer: everything appended before close() is ahead of the stop item.
        stop = _Stop(self._loop.create_future())
        self._queue.put(stop)
        await stop.future
        await asyncio.to_thread(self._writer.join)
        logger.info("history: closed %s", self.path)

    async def catch_up_index(self) -> None:
        """Return once every message appended before the call is in the search index.

        Not needed for correctness (SEARCH also reads the rows not indexed yet); for
        benchmarks and tests that measure the index itself. Runs one batch per step,
        behind the appends that arrive meanwhile.
        """
        await self._submit(_IndexJob(self._loop.create_future()))

    async def _submit(self, job: _Job) -> Any:
        if self._closed:
            raise StoreClosedError()
        self._queue.put(job)
        return await job.future

    # --- queries -----------------------------------------------------------------------------

    async def _read(self, plan: SqlPlan[T]) -> T:
        if self._closed:
            raise StoreClosedError()
        return await self._loop.run_in_executor(self._reader_pool, self._run_read, plan)

    def _run_read(self, plan: SqlPlan[T]) -> T:
        try:
            return run(self._reader, plan)
        except sqlite3.Error as exc:
            error = describe_error(exc, self.path)
            logger.error("history: a query failed: %s", error)
            raise error from exc

    # --- maintenance: purge and retention run on the writer, one chunk per transaction ----

    async def _maintain(self, plan: SqlPlan[int]) -> int:
        deleted: int = await self._submit(_PlanJob(self._loop.create_future(), plan))
        return deleted

    def _delete_chunk(self) -> int:
        return DELETE_CHUNK

    # --- the writer thread -------------------------------------------------------------------

    def _call_soon(self, callback: Callable[..., object], *args: Any) -> None:
        # RuntimeError: the loop is closed, nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, *args)

    def _writer_main(self) -> None:
        get, get_nowait = self._queue.get, self._queue.get_nowait
        while True:
            # Group commit: take whatever accumulated while the last transaction ran.
            if self._health.writable and self._index_pending:
                try:
                    first = get_nowait()
                except queue.Empty:  # idle: index one batch, then look at the queue again
                    self._index_some()
                    continue
            elif self._health.writable:
                first = get()
            else:
                try:
                    first = get(timeout=self._probe_interval)
                except queue.Empty:
                    self._probe()
                    continue
            items: list[_Item] = [first]
            try:
                while True:
                    items.append(get_nowait())
            except queue.Empty:
                pass
            batch: list[tuple[StoredMessage, OnStored | None]] = []
            for index, item in enumerate(items):
                if isinstance(item, tuple):
                    batch.append(item)
                    if len(batch) >= BATCH_MAX:
                        self._write(batch)
                        batch = []
                    continue
                if batch:  # jobs see every append queued before them
                    self._write(batch)
                    batch = []
                if isinstance(item, _Stop):
                    self._stop(item, items[index + 1 :])
                    return
                self._run_job(item)
            if batch:
                self._write(batch)

    def _write(self, batch: list[tuple[StoredMessage, OnStored | None]]) -> None:
        conn = self._conn
        results: list[bool]
        try:
            rows = [to_row(message) for message, _ in batch]
            new_dms = {row[2] for row in rows if is_dm_key(row[2])} - self._known_dms
            conn.execute("BEGIN IMMEDIATE")  # the write lock now, waiting busy_timeout for it
            try:
                try:
                    conn.executemany(INSERT_MESSAGE.sqlite.sql, rows)
                    results = [True] * len(rows)
                except sqlite3.IntegrityError:
                    # A duplicate msgid. The rows before it are in the transaction already:
                    # start again row by row, so that only the culprit fails.
                    conn.execute("ROLLBACK")
                    conn.execute("BEGIN IMMEDIATE")
                    results = [self._insert_one(row) for row in rows]
                for target in new_dms:
                    conn.executemany(
                        INSERT_DM.sqlite.sql, [(nick, target) for nick in dm_peers(target)]
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            results = [False] * len(batch)
            self._health.failed(len(batch), describe_error(exc, self.path))
        except Exception:
            results = [False] * len(batch)
            logger.exception("history: could not store %d message(s)", len(batch))
        else:
            self._known_dms |= new_dms
            self._health.succeeded()
            self._index_pending = True
        callbacks = [(cb, ok) for (_, cb), ok in zip(batch, results, strict=True) if cb]
        if callbacks:
            self._call_soon(deliver_all, callbacks)

    def _insert_one(self, row: Row) -> bool:
        try:
            self._conn.execute(INSERT_MESSAGE.sqlite.sql, row)
        except sqlite3.IntegrityError:
            logger.warning("history: not storing a second message with msgid %r", row[0])
            return False
        return True

    def _probe(self) -> None:
        # A write that must find room as a message would (one row of about a kilobyte,
        # committed to the WAL), then leaves nothing behind: the row is deleted in the same
        # transaction. No nick is empty, so no query could ever see it.
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                run(conn, probe(_PROBE_TARGET, PROBE_NICK))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            self._health.failed(0, describe_error(exc, self.path))
        except Exception as exc:  # a bug, not the disk: still rate-limited, still refusing
            self._health.failed(0, f"the write probe failed: {exc!r}")
        else:
            self._health.succeeded()

    def _index_some(self) -> None:
        # Never wait for a lock another process holds (a --workers sibling, a backup): the
        # next append would wait behind that wait. Busy: try again after the next write.
        conn = self._conn
        (busy_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            self._index_pending = index_batch(conn) > 0
        except sqlite3.Error as exc:  # the rows stay searchable (scanned); retry after a write
            self._index_pending = False
            logger.info("history: search indexing paused: %s", describe_error(exc, self.path))
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")

    def _run_job(self, job: _Job) -> None:
        try:
            done = job.step(self._conn)
        except sqlite3.Error as exc:
            error = describe_error(exc, self.path)
            logger.error("history: maintenance failed: %s", error)
            self._call_soon(_settle, job.future, None, error)
            return
        except Exception as exc:
            logger.exception("history: maintenance failed")
            self._call_soon(_settle, job.future, None, StorageUnavailableError(str(exc)))
            return
        finally:
            if isinstance(job, _PlanJob):
                self._known_dms.clear()  # a DM conversation may have gone
        if done:
            self._call_soon(_settle, job.future, job.result(), None)
        else:
            self._queue.put(job)

    def _stop(self, job: _Stop, behind: list[_Item]) -> None:
        # A chunked job that re-queued itself behind the stop item is abandoned: its caller
        # gets StoreClosedError rather than waiting for ever. (No append can be there:
        # close() stops taking them before it queues the stop item.)
        with contextlib.suppress(queue.Empty):
            while True:
                behind.append(self._queue.get_nowait())
        for item in behind:
            if isinstance(item, _Job):
                self._call_soon(_settle, item.future, None, StoreClosedError())
            elif item[1] is not None:
                self._call_soon(deliver_all, [(item[1], False)])
        try:
            self._conn.close()
        except sqlite3.Error as exc:
            logger.error("history: closing failed: %s", describe_error(exc, self.path))
        self._call_soon(_settle, job.future, None, None)


async def open_history(
    data_dir: Path | str | None = None,
    *,
    max_bytes: int | None = None,
    busy_timeout: float = BUSY_TIMEOUT,
) -> SQLiteHistoryStore:
    """Open ``history.db`` in *data_dir* (default :func:`default_data_dir`), creating the
    directory (mode 0700: history is private) if needed. Raises like
    :meth:`SQLiteHistoryStore.open`."""
    directory = Path(data_dir) if data_dir is not None else default_data_dir()
    try:
        await asyncio.to_thread(directory.mkdir, mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageUnavailableError(
            f"cannot create the data directory {directory}: {exc.strerror or exc}."
        ) from exc
    return await SQLiteHistoryStore.open(
        directory / HISTORY_FILENAME, max_bytes=max_bytes, busy_timeout=busy_timeout
    )
