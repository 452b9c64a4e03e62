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

from chatroom.protocol.casemap import casefold
from chatroom.protocol.sasl import DEFAULT_ITERATIONS, ScramCredentials
from chatroom.storage.passwords import Passwords

from .accounts import (
    ACCOUNTS_FILENAME,
    AccountStoreClosed,
    BanRecord,
    ChannelRecord,
    StoredAccount,
)
from .accounts_base import AccountStoreBase
from .accounts_rows import (
    ACCOUNT_COLUMNS,
    BAN_COLUMNS,
    CHANNEL_COLUMNS,
    account_from_row,
    account_row,
    ban_from_row,
    channel_from_row,
    channel_row,
    ms_or_none,
)
from .base import default_data_dir, to_ms
from .errors import SchemaError, StorageCorruptError, StorageError, StorageUnavailableError
from .schema import Migration

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
        (
            f"PRAGMA application_id = {APPLICATION_ID}",
            """
            CREATE TABLE meta (
                key   TEXT PRIMARY KEY,
                value BLOB NOT NULL
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE accounts (
                key              TEXT PRIMARY KEY,  -- casefolded name
                name             TEXT NOT NULL,     -- as registered
                password_hash    TEXT NOT NULL,     -- argon2id, PHC string format
                scram_salt       BLOB NOT NULL,     -- SCRAM-SHA-256 verifier (RFC 5802)
                scram_iterations INTEGER NOT NULL,
                scram_stored_key BLOB NOT NULL,
                scram_server_key BLOB NOT NULL,
                email            TEXT,
                created          INTEGER NOT NULL   -- ms since the Unix epoch, UTC
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE channels (
                key          TEXT PRIMARY KEY,      -- casefolded name
                name         TEXT NOT NULL,
                founder      TEXT NOT NULL,         -- account name
                registered   INTEGER NOT NULL,
                topic        TEXT,
                topic_setter TEXT,
                topic_time   INTEGER,
                modes        TEXT NOT NULL,         -- parameterless mode letters
                chan_key     TEXT,                  -- +k
                user_limit   INTEGER,               -- +l
                bans         TEXT NOT NULL,         -- JSON [[mask, setter, ms], ...]
                excepts      TEXT NOT NULL,
                invex        TEXT NOT NULL,
                operators    TEXT NOT NULL          -- JSON [casefolded account, ...]
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE server_bans (
                key     TEXT PRIMARY KEY,           -- casefolded mask
                mask    TEXT NOT NULL,
                reason  TEXT NOT NULL,
                setter  TEXT NOT NULL,
                created INTEGER NOT NULL,
                expires INTEGER                     -- NULL: never
            ) WITHOUT ROWID
            """,
        ),
    ),
)

#: The version this program writes; :func:`migrate` brings any older file up to it.
SCHEMA_VERSION = MIGRATIONS[-1].version

_SECRET_KEY = "fake-scram-key"


# --- schema ------------------------------------------------------------------------------------


def _check_compatible(conn: sqlite3.Connection, migrations: tuple[Migration, ...]) -> int:
    (found,) = conn.execute("PRAGMA user_version").fetchone()
    (app_id,) = conn.execute("PRAGMA application_id").fetchone()
    (objects,) = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    if app_id not in (0, APPLICATION_ID) or (found == 0 and objects):
        raise SchemaError(
            "the file is an SQLite database of some other program, not chatroom accounts; "
            "move it aside or choose another data directory."
        )
    if found > len(migrations):
        raise SchemaError(
            f"the account database has schema version {found}, newer than the "
            f"{len(migrations)} this chatroom knows: run a newer chatroom, or restore a backup."
        )
    return int(found)


def migrate(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Upgrade the account database on *conn* (autocommit mode) to the last of *migrations*;
    return the version it had. Each step commits with its version bump or not at all.
    Raises :class:`SchemaError` for a foreign or newer file; ``sqlite3.Error`` propagates
    after the failed step was rolled back."""
    found = _check_compatible(conn, migrations)
    for migration in migrations[found:]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return found


def _describe(exc: sqlite3.Error, path: Path) -> StorageError:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StorageCorruptError(
            f"the account database {path} is damaged or not a database ({exc}): stop the "
            "server and restore it from a backup."
        )
    if name.startswith("SQLITE_FULL"):
        hint = "the disk is full"
    elif name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        hint = "another process holds it locked: is a second server using this data directory?"
    elif name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_READONLY", "SQLITE_AUTH")):
        hint = "check that the data directory exists and is writable by the server"
    else:
        hint = "unexpected database error"
    return StorageUnavailableError(f"account database {path}: {exc} ({hint}).")


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
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?, randomblob(32))", (_SECRET_KEY,)
        )
        (secret,) = conn.execute("SELECT value FROM meta WHERE key = ?", (_SECRET_KEY,)).fetchone()
    except BaseException:
        conn.close()
        raise
    return conn, bytes(secret)


# --- the store ---------------------------------------------------------------------------------


class SQLiteAccountStore(AccountStoreBase):
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
                raise _describe(exc, path) from exc
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

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        # No closed check here: a call that began before close() may finish its last step.
        def call() -> T:
            try:
                return work(self._conn)
            except sqlite3.ProgrammingError as exc:  # the connection was closed meanwhile
                raise AccountStoreClosed() from exc
            except sqlite3.Error as exc:
                error = _describe(exc, self.path)
                logger.error("accounts: %s", error)
                raise error from exc

        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, call)
        except RuntimeError:  # the pool is shut down: close() has finished
            raise AccountStoreClosed() from None

    # --- primitives --------------------------------------------------------------------------

    async def _load_account(self, folded: str) -> StoredAccount | None:
        sql = f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE key = ?"
        row = await self._run(lambda conn: conn.execute(sql, (folded,)).fetchone())
        return None if row is None else account_from_row(row)

    async def _insert_account(self, stored: StoredAccount) -> bool:
        row = account_row(stored)

        def insert(conn: sqlite3.Connection) -> bool:
            try:
                conn.execute(
                    f"INSERT INTO accounts (key, {ACCOUNT_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            except sqlite3.IntegrityError:
                return False
            return True

        return await self._run(insert)

    async def _update_secrets(
        self, folded: str, password_hash: str, scram: ScramCredentials
    ) -> bool:
        params = (
            password_hash,
            scram.salt,
            scram.iterations,
            scram.stored_key,
            scram.server_key,
            folded,
        )
        sql = (
            "UPDATE accounts SET password_hash = ?, scram_salt = ?, scram_iterations = ?,"
            " scram_stored_key = ?, scram_server_key = ? WHERE key = ?"
        )
        return await self._run(lambda conn: conn.execute(sql, params).rowcount > 0)

    async def _load_channel(self, folded: str) -> ChannelRecord | None:
        sql = f"SELECT {CHANNEL_COLUMNS} FROM channels WHERE key = ?"
        row = await self._run(lambda conn: conn.execute(sql, (folded,)).fetchone())
        return None if row is None else channel_from_row(row)

    async def _insert_channel(self, record: ChannelRecord) -> bool:
        values = channel_row(record)
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)

        def insert(conn: sqlite3.Connection) -> bool:
            try:
                conn.execute(f"INSERT INTO channels ({columns}) VALUES ({placeholders})", values)
            except sqlite3.IntegrityError:
                return False
            return True

        return await self._run(insert)

    async def _replace_channel(self, record: ChannelRecord) -> bool:
        values = channel_row(record)
        assignments = ", ".join(f"{name} = :{name}" for name in values if name != "key")
        sql = f"UPDATE channels SET {assignments} WHERE key = :key"
        return await self._run(lambda conn: conn.execute(sql, values).rowcount > 0)

    async def _delete_channel(self, folded: str) -> bool:
        sql = "DELETE FROM channels WHERE key = ?"
        return await self._run(lambda conn: conn.execute(sql, (folded,)).rowcount > 0)

    async def _load_channels(self) -> list[ChannelRecord]:
        sql = f"SELECT {CHANNEL_COLUMNS} FROM channels"
        rows = await self._run(lambda conn: conn.execute(sql).fetchall())
        return [channel_from_row(row) for row in rows]

    async def _put_ban(self, ban: BanRecord) -> None:
        row = (casefold(ban.mask), ban.mask, ban.reason, ban.setter, to_ms(ban.created))
        sql = f"INSERT OR REPLACE INTO server_bans (key, {BAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
        await self._run(lambda conn: conn.execute(sql, (*row, ms_or_none(ban.expires))))

    async def _delete_bans(self, folded_masks: list[str]) -> int:
        def delete(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN")
            try:
                count = conn.executemany(
                    "DELETE FROM server_bans WHERE key = ?", [(m,) for m in folded_masks]
                ).rowcount
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return count

        return await self._run(delete)

    async def _load_bans(self) -> list[BanRecord]:
        sql = f"SELECT {BAN_COLUMNS} FROM server_bans"
        rows = await self._run(lambda conn: conn.execute(sql).fetchall())
        return [ban_from_row(row) for row in rows]

    async def _close_backend(self) -> None:
        try:
            await self._run(lambda conn: conn.close())
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
