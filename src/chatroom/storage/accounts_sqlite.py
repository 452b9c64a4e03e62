"""The default account store: ``accounts.db``, an SQLite file of its own in the data directory.

Why a file of its own rather than new tables (a migration 3) in ``history.db``:

* **Accounts must outlive history.** History can be turned off (``--no-history``), capped in
  size (``max_bytes``: a full history file must not stop registrations), purged, and the
  operator is told to move a damaged ``history.db`` aside "to start afresh": none of that may
  take accounts, channel registrations or server bans with it.
* **No contention with the history writer.** History has one writer thread that group-commits
  batches of messages; a second writing connection to the same file would compete with it
  for SQLite's single write lock, and routing our rare writes through its queue would tie
  two stores' lifecycles together.
* **Different durability.** Accounts are written rarely and must survive a power cut:
  ``synchronous=FULL`` here, where history uses ``NORMAL`` for throughput.
* **Secrets.** The file holds password hashes, so it is created with mode 0600 (its ``-wal``
  and ``-shm`` files inherit that) and can be backed up or restored on its own.

The file is versioned like history (``PRAGMA user_version``, migrations that are never edited
once released, each in one transaction with its version bump) and marked with its own
``PRAGMA application_id`` ("chrA"), so a history file, or anybody else's database, is refused
instead of altered.

Threading: one dedicated thread owns the connection and runs every statement (the writes are
few and small, so one thread is enough and there is never lock contention in the process);
argon2 runs on the hashing pool of :class:`~chatroom.storage.accounts_base.AccountStoreBase`.

Version history:

1. ``meta`` (the key of the fake SCRAM credentials), ``accounts``, ``channels`` (list modes
   and operators as JSON: a record is always read and written whole), ``server_bans``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from chatroom.protocol.sasl import DEFAULT_ITERATIONS
from chatroom.storage.passwords import Passwords

from .accounts import ACCOUNTS_FILENAME, AccountStoreClosed
from .accounts_sql import SqlAccountStore, account_ddl, secret_key
from .base import default_data_dir
from .errors import StorageError, StorageUnavailableError
from .schema import Migration, apply, check_file
from .sql import Dialect, SqlPlan
from .sqlite_db import describe_error, run

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SQLiteAccountStore",
    "migrate",
    "open_accounts",
]

logger = logging.getLogger("chatroom.storage")

T = TypeVar("T")

#: ``PRAGMA application_id`` of a chatroom account database: ASCII "chrA".
APPLICATION_ID = 0x63687241

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "accounts, registered channels, server bans, and the fake-credential key",
        (f"PRAGMA application_id = {APPLICATION_ID}", *account_ddl(Dialect.SQLITE)),
    ),
)

#: The version this program writes; :func:`migrate` brings any older file up to it.
SCHEMA_VERSION = MIGRATIONS[-1].version


# --- schema ------------------------------------------------------------------------------------


def _check_compatible(conn: sqlite3.Connection, migrations: tuple[Migration, ...]) -> int:
    return check_file(conn, APPLICATION_ID, len(migrations), "account")


def migrate(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Upgrade the account database on *conn* (autocommit mode) to the last of *migrations*;
    return the version it had. Each step commits with its version bump or not at all.
    Raises :class:`SchemaError` for a foreign or newer file; ``sqlite3.Error`` propagates
    after the failed step was rolled back."""
    found = _check_compatible(conn, migrations)
    apply(conn, migrations[found:])
    return found


def _open_connection(path: Path, busy_timeout: float) -> tuple[sqlite3.Connection, bytes]:
    """Open, check, migrate; return the connection and the fake-credential key."""
    if not path.exists():
        # Create it private before SQLite does: it will hold password hashes.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    try:
        _check_compatible(conn, MIGRATIONS)  # before WAL mode alters a file we must not touch
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode != "wal":
            raise StorageUnavailableError(
                f"account database {path}: could not switch to WAL mode (got {mode!r})."
            )
        conn.execute("PRAGMA synchronous = FULL")  # rare writes; survive a power cut
        migrate(conn)
        secret = run(conn, secret_key())
    except BaseException:
        conn.close()
        raise
    return conn, secret


# --- the store ---------------------------------------------------------------------------------


class SQLiteAccountStore(SqlAccountStore):
    """An :class:`~chatroom.storage.accounts.AccountStore` in one SQLite file.

    Create it with ``await SQLiteAccountStore.open(path)`` (or :func:`open_accounts` for a
    data directory) on the loop that will use it; ``await close()`` before that loop ends.
    Every completed write is durable (``synchronous=FULL``). One server process per file.
    """

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        pool: ThreadPoolExecutor,
        secret: bytes,
        **options: Any,
    ) -> None:
        """Private: use :meth:`open`."""
        super().__init__(secret, **options)
        self.path = path
        self._conn = conn
        self._pool = pool

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        passwords: Passwords | None = None,
        hash_workers: int | None = None,
        scram_iterations: int = DEFAULT_ITERATIONS,
        nick_length: int = 32,
        busy_timeout: float = 1.0,
    ) -> SQLiteAccountStore:
        """Open (creating or migrating it as needed) the account database at *path*.

        Options as for :class:`~chatroom.storage.accounts_base.AccountStoreBase`. Raises
        :class:`StorageCorruptError` (damaged, not a database), :class:`SchemaError` (newer
        than this program, or another program's file) or :class:`StorageUnavailableError`.
        """
        path = Path(path)
        loop = asyncio.get_running_loop()
        pool = ThreadPoolExecutor(1, thread_name_prefix="chatroom-accounts")
        try:
            conn, secret = await loop.run_in_executor(pool, _open_connection, path, busy_timeout)
        except BaseException as exc:
            pool.shutdown(wait=False)
            if isinstance(exc, sqlite3.Error):
                raise describe_error(exc, path, "account") from exc
            if isinstance(exc, OSError):
                raise StorageUnavailableError(
                    f"cannot create the account database {path}: {exc.strerror or exc}."
                ) from exc
            raise
        logger.info("accounts: using %s", path)
        return cls(
            path,
            conn,
            pool,
            secret,
            passwords=passwords,
            hash_workers=hash_workers,
            scram_iterations=scram_iterations,
            nick_length=nick_length,
        )

    async def _run(self, plan: SqlPlan[T], *, atomic: bool = False) -> T:
        """Run *plan* on the store's thread; see :meth:`SqlAccountStore._run`."""

        def call(conn: sqlite3.Connection) -> T:
            if not atomic:
                return run(conn, plan)
            conn.execute("BEGIN IMMEDIATE")  # writes: the lock now, within busy_timeout
            try:
                result = run(conn, plan)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        return await self._call(call)

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        # No closed check here: a call that began before close() may finish its last step.
        def call() -> T:
            try:
                return work(self._conn)
            except sqlite3.ProgrammingError as exc:  # the connection was closed meanwhile
                raise AccountStoreClosed() from exc
            except sqlite3.Error as exc:
                error = describe_error(exc, self.path, "account")
                logger.error("accounts: %s", error)
                raise error from exc

        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, call)
        except RuntimeError:  # the pool is shut down: close() has finished
            raise AccountStoreClosed() from None

    async def _close_backend(self) -> None:
        try:
            await self._call(lambda conn: conn.close())
        except StorageError as exc:
            logger.error("accounts: closing failed: %s", exc)
        finally:
            self._pool.shutdown(wait=False)
        logger.info("accounts: closed %s", self.path)


async def open_accounts(
    data_dir: Path | str | None = None,
    *,
    passwords: Passwords | None = None,
    hash_workers: int | None = None,
    busy_timeout: float = 1.0,
    nick_length: int = 32,
) -> SQLiteAccountStore:
    """Open ``accounts.db`` in *data_dir* (default
    :func:`~chatroom.storage.base.default_data_dir`), creating the directory (mode 0700) if
    needed. Raises like :meth:`SQLiteAccountStore.open`."""
    directory = Path(data_dir) if data_dir is not None else default_data_dir()
    try:
        await asyncio.to_thread(directory.mkdir, mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageUnavailableError(
            f"cannot create the data directory {directory}: {exc.strerror or exc}."
        ) from exc
    return await SQLiteAccountStore.open(
        directory / ACCOUNTS_FILENAME,
        passwords=passwords,
        hash_workers=hash_workers,
        busy_timeout=busy_timeout,
        nick_length=nick_length,
    )
