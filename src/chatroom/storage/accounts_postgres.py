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
from typing import Any, TypeVar

import asyncpg

from chatroom.protocol.sasl import DEFAULT_ITERATIONS
from chatroom.storage.passwords import Passwords

from .accounts import AccountStoreClosed
from .accounts_sql import OWNED_TABLES, SqlAccountStore, account_ddl, secret_key
from .errors import StorageError
from .postgres_db import DB_ERRORS, AnyConnection, check_dsn, describe_error, migrate, redact, run
from .schema import Migration
from .sql import Dialect, SqlPlan

__all__ = ["MIGRATIONS", "PostgresAccountStore", "open_accounts_postgres"]

logger = logging.getLogger("chatroom.storage")

T = TypeVar("T")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "accounts, registered channels, server bans, and the fake-credential key",
        account_ddl(Dialect.POSTGRES),
    ),
)


async def _setup(conn: AnyConnection) -> bytes:
    """Migrate, and return the fake-credential key (made by the first process to ask)."""
    await migrate(conn, "accounts", MIGRATIONS, OWNED_TABLES)
    return await run(conn, secret_key())


class PostgresAccountStore(SqlAccountStore):
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

    async def _run(self, plan: SqlPlan[T], *, atomic: bool = False) -> T:
        """Run *plan* on a pool connection; see :meth:`SqlAccountStore._run`."""
        # No closed check here: a call that began before close() may finish its last step.
        try:
            async with self._pool.acquire() as conn:
                if not atomic:
                    return await run(conn, plan)
                async with conn.transaction():
                    return await run(conn, plan)
        except StorageError:
            raise
        except DB_ERRORS as exc:
            if self._closed:  # the pool was closed under us
                raise AccountStoreClosed() from exc
            error = describe_error(exc, "account", self.dsn)
            logger.error("accounts: %s", error)
            raise error from exc

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
