"""Accounts, registered channels and server bans in PostgreSQL, shared by a cluster.

Every rule lives in :class:`~chatroom.storage.accounts_base.AccountStoreBase`; this module
only reads and writes rows (laid out as in SQLite: :mod:`chatroom.storage.accounts_rows`)
through an asyncpg connection pool, so the same contract suite passes here.

What sharing one database between server processes gives, and how:

* **One name, one account.** Registration is ``INSERT … ON CONFLICT DO NOTHING`` on the
  casefolded name: when two processes register the same name at the same instant, exactly
  one wins and the other reports ``ACCOUNT_EXISTS``.
* **Same answers everywhere.** The key of the fake SCRAM credentials is stored in the
  database (``account_meta``): created once by whichever process starts first, so an
  unknown name gets the same fake credentials from every process and across restarts.
* **Durability.** A write returns once PostgreSQL committed it (one statement, one
  transaction), so a completed registration survives the crash of any process.

Errors: an unreachable or failing database raises
:class:`~chatroom.storage.errors.StorageUnavailableError` (``TEMPORARILY_UNAVAILABLE`` for
REGISTER); the pool reconnects by itself once the database is back.

Schema (``schema_version`` component ``accounts``), version history:

1. ``account_meta`` (the fake-credential key), ``accounts``, ``channels`` (list modes and
   operators as JSON text), ``server_bans``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from chatroom.protocol.casemap import casefold
from chatroom.protocol.sasl import DEFAULT_ITERATIONS, ScramCredentials
from chatroom.storage.passwords import Passwords

from .accounts import AccountStoreClosed, BanRecord, ChannelRecord, StoredAccount
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
from .base import to_ms
from .errors import StorageError
from .postgres_db import (
    DB_ERRORS,
    AnyConnection,
    check_dsn,
    describe_error,
    migrate,
    redact,
    row_count,
)
from .schema import Migration

__all__ = ["MIGRATIONS", "PostgresAccountStore", "open_accounts_postgres"]

logger = logging.getLogger("chatroom.storage")

T = TypeVar("T")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "accounts, registered channels, server bans, and the fake-credential key",
        (
            """
            CREATE TABLE account_meta (
                key   TEXT PRIMARY KEY,
                value BYTEA NOT NULL
            )
            """,
            """
            CREATE TABLE accounts (
                key              TEXT PRIMARY KEY,  -- casefolded name
                name             TEXT NOT NULL,     -- as registered
                password_hash    TEXT NOT NULL,     -- argon2id, PHC string format
                scram_salt       BYTEA NOT NULL,    -- SCRAM-SHA-256 verifier (RFC 5802)
                scram_iterations INTEGER NOT NULL,
                scram_stored_key BYTEA NOT NULL,
                scram_server_key BYTEA NOT NULL,
                email            TEXT,
                created          BIGINT NOT NULL    -- ms since the Unix epoch, UTC
            )
            """,
            """
            CREATE TABLE channels (
                key          TEXT PRIMARY KEY,      -- casefolded name
                name         TEXT NOT NULL,
                founder      TEXT NOT NULL,         -- account name
                registered   BIGINT NOT NULL,
                topic        TEXT,
                topic_setter TEXT,
                topic_time   BIGINT,
                modes        TEXT NOT NULL,         -- parameterless mode letters
                chan_key     TEXT,                  -- +k
                user_limit   INTEGER,               -- +l
                bans         TEXT NOT NULL,         -- JSON [[mask, setter, ms], ...]
                excepts      TEXT NOT NULL,
                invex        TEXT NOT NULL,
                operators    TEXT NOT NULL          -- JSON [casefolded account, ...]
            )
            """,
            """
            CREATE TABLE server_bans (
                key     TEXT PRIMARY KEY,           -- casefolded mask
                mask    TEXT NOT NULL,
                reason  TEXT NOT NULL,
                setter  TEXT NOT NULL,
                created BIGINT NOT NULL,
                expires BIGINT                      -- NULL: never
            )
            """,
        ),
    ),
)
_OWNED_TABLES = ("account_meta", "accounts", "channels", "server_bans")
_SECRET_KEY = "fake-scram-key"


def _placeholders(count: int, start: int = 1) -> str:
    return ", ".join(f"${n}" for n in range(start, start + count))


async def _setup(conn: AnyConnection) -> bytes:
    """Migrate, and return the fake-credential key (made by the first process to ask)."""
    await migrate(conn, "accounts", MIGRATIONS, _OWNED_TABLES)
    await conn.execute(
        "INSERT INTO account_meta (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        _SECRET_KEY,
        secrets.token_bytes(32),
    )
    secret = await conn.fetchval("SELECT value FROM account_meta WHERE key = $1", _SECRET_KEY)
    return bytes(secret)


class PostgresAccountStore(AccountStoreBase):
    """An :class:`~chatroom.storage.accounts.AccountStore` in a PostgreSQL database.

    Create it with ``await PostgresAccountStore.open(dsn)`` (or
    :func:`open_accounts_postgres`) on the loop that will use it; ``await close()`` before
    that loop ends. Any number of server processes may share the database.
    """

    def __init__(self, dsn: str, pool: asyncpg.Pool, secret: bytes, **options: Any) -> None:
        """Private: use :meth:`open`."""
        super().__init__(secret, **options)
        self.dsn = dsn
        self._pool = pool

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        passwords: Passwords | None = None,
        hash_workers: int | None = None,
        scram_iterations: int = DEFAULT_ITERATIONS,
        nick_length: int = 32,
        pool_size: int = 4,
        connect_timeout: float = 5.0,
        command_timeout: float = 30.0,
    ) -> PostgresAccountStore:
        """Connect to the database at *dsn*, creating or migrating the account tables.

        Options as for :class:`~chatroom.storage.accounts_base.AccountStoreBase`, plus the
        pool size and timeouts (seconds) of the connections. Raises ``ValueError`` for a URL
        that is not ``postgresql://``, :class:`~chatroom.storage.errors.SchemaError` (tables
        newer than this program, or not ours) or :class:`StorageUnavailableError`.
        """
        check_dsn(dsn)
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=pool_size,
                timeout=connect_timeout,
                command_timeout=command_timeout,
            )
        except DB_ERRORS as exc:
            raise describe_error(exc, "account", dsn) from exc
        try:
            async with pool.acquire() as conn:
                secret = await _setup(conn)
        except BaseException as exc:
            pool.terminate()
            if isinstance(exc, DB_ERRORS):
                raise describe_error(exc, "account", dsn) from exc
            raise
        logger.info("accounts: using %s", redact(dsn))
        return cls(
            dsn,
            pool,
            secret,
            passwords=passwords,
            hash_workers=hash_workers,
            scram_iterations=scram_iterations,
            nick_length=nick_length,
        )

    async def _run(self, work: Callable[[AnyConnection], Awaitable[T]]) -> T:
        # No closed check here: a call that began before close() may finish its last step.
        try:
            async with self._pool.acquire() as conn:
                return await work(conn)
        except StorageError:
            raise
        except DB_ERRORS as exc:
            if self._closed:  # the pool was closed under us
                raise AccountStoreClosed() from exc
            error = describe_error(exc, "account", self.dsn)
            logger.error("accounts: %s", error)
            raise error from exc

    # --- primitives --------------------------------------------------------------------------

    async def _load_account(self, folded: str) -> StoredAccount | None:
        sql = f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE key = $1"
        row = await self._run(lambda conn: conn.fetchrow(sql, folded))
        return None if row is None else account_from_row(tuple(row))

    async def _insert_account(self, stored: StoredAccount) -> bool:
        row = account_row(stored)
        sql = (
            f"INSERT INTO accounts (key, {ACCOUNT_COLUMNS}) VALUES ({_placeholders(len(row))})"
            " ON CONFLICT (key) DO NOTHING"
        )
        return row_count(await self._run(lambda conn: conn.execute(sql, *row))) == 1

    async def _update_secrets(
        self, folded: str, password_hash: str, scram: ScramCredentials
    ) -> bool:
        sql = (
            "UPDATE accounts SET password_hash = $1, scram_salt = $2, scram_iterations = $3,"
            " scram_stored_key = $4, scram_server_key = $5 WHERE key = $6"
        )
        params = (
            password_hash,
            scram.salt,
            scram.iterations,
            scram.stored_key,
            scram.server_key,
            folded,
        )
        return row_count(await self._run(lambda conn: conn.execute(sql, *params))) > 0

    async def _load_channel(self, folded: str) -> ChannelRecord | None:
        sql = f"SELECT {CHANNEL_COLUMNS} FROM channels WHERE key = $1"
        row = await self._run(lambda conn: conn.fetchrow(sql, folded))
        return None if row is None else channel_from_row(tuple(row))

    async def _insert_channel(self, record: ChannelRecord) -> bool:
        values = channel_row(record)
        sql = (
            f"INSERT INTO channels ({', '.join(values)}) VALUES ({_placeholders(len(values))})"
            " ON CONFLICT (key) DO NOTHING"
        )
        return row_count(await self._run(lambda conn: conn.execute(sql, *values.values()))) == 1

    async def _replace_channel(self, record: ChannelRecord) -> bool:
        values = channel_row(record)
        names = [name for name in values if name != "key"]
        assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(names, 2))
        sql = f"UPDATE channels SET {assignments} WHERE key = $1"
        params = [values["key"], *(values[name] for name in names)]
        return row_count(await self._run(lambda conn: conn.execute(sql, *params))) > 0

    async def _delete_channel(self, folded: str) -> bool:
        sql = "DELETE FROM channels WHERE key = $1"
        return row_count(await self._run(lambda conn: conn.execute(sql, folded))) > 0

    async def _load_channels(self) -> list[ChannelRecord]:
        sql = f"SELECT {CHANNEL_COLUMNS} FROM channels"
        rows = await self._run(lambda conn: conn.fetch(sql))
        return [channel_from_row(tuple(row)) for row in rows]

    async def _put_ban(self, ban: BanRecord) -> None:
        row = (
            casefold(ban.mask),
            ban.mask,
            ban.reason,
            ban.setter,
            to_ms(ban.created),
            ms_or_none(ban.expires),
        )
        sql = (
            f"INSERT INTO server_bans (key, {BAN_COLUMNS}) VALUES ({_placeholders(len(row))})"
            " ON CONFLICT (key) DO UPDATE SET mask = EXCLUDED.mask, reason = EXCLUDED.reason,"
            " setter = EXCLUDED.setter, created = EXCLUDED.created, expires = EXCLUDED.expires"
        )
        await self._run(lambda conn: conn.execute(sql, *row))

    async def _delete_bans(self, folded_masks: list[str]) -> int:
        sql = "DELETE FROM server_bans WHERE key = ANY($1::text[])"
        return row_count(await self._run(lambda conn: conn.execute(sql, folded_masks)))

    async def _load_bans(self) -> list[BanRecord]:
        sql = f"SELECT {BAN_COLUMNS} FROM server_bans"
        rows = await self._run(lambda conn: conn.fetch(sql))
        return [ban_from_row(tuple(row)) for row in rows]

    async def _close_backend(self) -> None:
        try:
            await self._pool.close()
        except DB_ERRORS as exc:
            logger.error("accounts: closing failed: %s", describe_error(exc, "account", self.dsn))
            self._pool.terminate()
        logger.info("accounts: closed %s", redact(self.dsn))


async def open_accounts_postgres(dsn: str, **options: Any) -> PostgresAccountStore:
    """Open the account store in the PostgreSQL database at *dsn*; options and errors as
    for :meth:`PostgresAccountStore.open`."""
    return await PostgresAccountStore.open(dsn, **options)
