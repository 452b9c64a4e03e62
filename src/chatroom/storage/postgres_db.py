"""What both PostgreSQL stores share: the versioned schema, error wording, safe DSNs.

Schema versions
    One table, ``schema_version (component, version)``, holds a row per store that lives in
    the database (``history``, ``accounts``), so both stores can share one database (the
    usual set-up) or use two. Migrations are :class:`~chatroom.storage.schema.Migration`
    tuples, as for SQLite, with the same rules: never edited once released, each applied in
    one transaction together with its version bump (PostgreSQL DDL is transactional), so an
    error mid-way leaves the previous version intact.

Several processes
    In a cluster every server process opens the same database, often at the same instant.
    Each migration step therefore first takes a transaction-scoped advisory lock
    (``pg_advisory_xact_lock``) and re-reads the version under it: exactly one process runs
    a step, the others see it done.

Not ours
    A component with no ``schema_version`` row whose tables already exist was made by
    something else: :class:`~chatroom.storage.errors.SchemaError`, nothing is altered.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from .errors import SchemaError, StorageError, StorageUnavailableError
from .schema import Migration
from .sql import Answer, Commit, Sql, SqlPlan

__all__ = [
    "CONNECTION_ERRORS",
    "LOCK_KEY",
    "AnyConnection",
    "answer",
    "check_dsn",
    "describe_error",
    "migrate",
    "redact",
    "row_count",
    "run",
    "schema_version",
]

T = TypeVar("T")

#: ``pg_advisory_xact_lock`` key serialising chatroom migrations: ASCII "chatroom" as int64.
LOCK_KEY = int.from_bytes(b"chatroom", "big", signed=True)

#: What asyncpg raises when the server cannot be reached or the connection broke, besides
#: ``asyncpg.PostgresError`` (every error the server reports).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, socket file missing
    asyncio.TimeoutError,  # connect or command timeout
    asyncpg.InterfaceError,  # connection closed or lost under us, pool closed
)

#: Everything asyncpg may raise for a database that is down, full, or refusing us.
DB_ERRORS: tuple[type[BaseException], ...] = (asyncpg.PostgresError, *CONNECTION_ERRORS)

_SCHEMES = ("postgresql", "postgres")

if TYPE_CHECKING:
    AnyConnection: TypeAlias = asyncpg.Connection | PoolConnectionProxy[Any]
    """A connection of our own, or one borrowed from a pool."""
else:  # the proxy is not subscriptable at run time
    AnyConnection = asyncpg.Connection | PoolConnectionProxy


def row_count(status: str) -> int:
    """The row count of a command status such as ``DELETE 12`` or ``INSERT 0 1``."""
    return int(status.rsplit(" ", 1)[-1])


def check_dsn(dsn: str) -> None:
    """Raise ``ValueError`` unless *dsn* is a ``postgresql://`` (or ``postgres://``) URL."""
    if urlsplit(dsn).scheme not in _SCHEMES:
        raise ValueError(f"not a PostgreSQL URL (postgresql://…): {redact(dsn)!r}")


def redact(dsn: str) -> str:
    """*dsn* with its password replaced by ``***``: safe for logs and error messages."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def describe_error(exc: BaseException, what: str, dsn: str) -> StorageError:
    """Turn an asyncpg or socket error into our error tree, worded for the operator.

    *what* names the store ("history", "account"); the DSN is shown without its password.
    """
    where = f"{what} database {redact(dsn)}"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        hint = "the database does not exist: create it (see docs/scale-out.md)"
    elif isinstance(
        exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        hint = "the server refused the user name or password"
    elif isinstance(exc, asyncpg.InsufficientPrivilegeError):
        hint = "the database user lacks a privilege: make it the owner of the database"
    elif isinstance(exc, asyncpg.DiskFullError | asyncpg.InsufficientResourcesError):
        hint = "the database server is out of disk space or resources"
    elif isinstance(exc, asyncpg.TooManyConnectionsError):
        hint = "the database server has too many connections"
    elif isinstance(exc, asyncpg.CannotConnectNowError | asyncpg.AdminShutdownError):
        hint = "the database server is starting up or shutting down"
    elif isinstance(exc, (*CONNECTION_ERRORS, asyncpg.PostgresConnectionError)):
        hint = "cannot reach the database server, or the connection was lost: is it running?"
    else:
        hint = "unexpected database error"
    detail = str(exc) or type(exc).__name__
    return StorageUnavailableError(f"{where}: {detail} ({hint}).")


async def schema_version(conn: AnyConnection, component: str) -> int:
    """The schema version of *component* in the database (0 if it has none yet)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    version = await conn.fetchval(
        "SELECT version FROM schema_version WHERE component = $1", component
    )
    return 0 if version is None else int(version)


async def migrate(
    conn: AnyConnection,
    component: str,
    migrations: tuple[Migration, ...],
    owned_tables: tuple[str, ...],
) -> int:
    """Bring *component* up to the last of *migrations*; return the version it had.

    *owned_tables* are the tables the first migration creates: finding one of them with no
    version recorded means the database holds some other program's tables. Raises
    :class:`SchemaError` for that, or when the database is newer than this program;
    ``asyncpg`` errors propagate after the failed step was rolled back.
    """
    found: int | None = None
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " component TEXT PRIMARY KEY,"
                " version INTEGER NOT NULL,"
                " updated TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            version = await schema_version(conn, component)
            if found is None:
                found = version
                await _check_compatible(conn, component, version, migrations, owned_tables)
            if version >= len(migrations):
                return found
            migration = migrations[version]
            for statement in migration.statements:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_version (component, version) VALUES ($1, $2)"
                " ON CONFLICT (component) DO UPDATE"
                " SET version = EXCLUDED.version, updated = now()",
                component,
                migration.version,
            )


async def _check_compatible(
    conn: AnyConnection,
    component: str,
    version: int,
    migrations: tuple[Migration, ...],
    owned_tables: tuple[str, ...],
) -> None:
    if version > len(migrations):
        raise SchemaError(
            f"the {component} tables have schema version {version}, newer than the "
            f"{len(migrations)} this chatroom knows: run a newer chatroom on every server."
        )
    if version == 0:
        for table in owned_tables:
            if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table):
                raise SchemaError(
                    f"the database already has a table {table!r} that chatroom did not "
                    f"create: give chatroom a database (or schema) of its own."
                )


# --- the driver of SQL plans (see chatroom.storage.sql) ----------------------------------------


async def answer(conn: AnyConnection, step: Sql) -> object:
    """Run one step of a plan on *conn*; return what the plan is sent back."""
    compiled = step.statement.postgres
    args = compiled.args(step.values)
    if step.answer is Answer.ROWS:
        return await conn.fetch(compiled.sql, *args)
    if step.answer is Answer.ROW:
        return await conn.fetchrow(compiled.sql, *args)
    return row_count(await conn.execute(compiled.sql, *args))


async def run(conn: AnyConnection, plan: SqlPlan[T]) -> T:
    """Run *plan* on *conn* to its end, ignoring its transaction boundaries."""
    sent: object = None
    while True:
        try:
            step = plan.send(sent)
        except StopIteration as done:
            result: T = done.value
            return result
        sent = None if isinstance(step, Commit) else await answer(conn, step)
