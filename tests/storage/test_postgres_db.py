"""The PostgreSQL schema machinery: versions, migrations, foreign tables, safe DSNs."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from chatroom.storage.errors import SchemaError, StorageUnavailableError
from chatroom.storage.postgres import MIGRATIONS, PostgresHistoryStore
from chatroom.storage.postgres_db import check_dsn, describe_error, migrate, redact, schema_version
from chatroom.storage.schema import Migration
from support.postgres import Cluster

STEPS = (
    Migration(1, "a table", ("CREATE TABLE things (id INTEGER PRIMARY KEY)",)),
    Migration(2, "a column", ("ALTER TABLE things ADD COLUMN name TEXT",)),
)


def test_redact_hides_only_the_password() -> None:
    assert redact("postgresql://chat:s3cret@db.example:5433/chat") == (
        "postgresql://chat:***@db.example:5433/chat"
    )
    assert redact("postgresql://chat@db/chat?sslmode=require") == (
        "postgresql://chat@db/chat?sslmode=require"
    )


def test_only_postgresql_urls_are_accepted() -> None:
    check_dsn("postgresql://u@h/db")
    check_dsn("postgres://u@h/db")
    with pytest.raises(ValueError, match=r"\*\*\*"):
        check_dsn("mysql://u:s3cret@h/db")


def test_errors_read_as_advice_without_the_password() -> None:
    error = describe_error(
        ConnectionRefusedError(111, "refused"), "history", "postgresql://u:pw@h/d"
    )
    assert isinstance(error, StorageUnavailableError)
    assert "pw" not in str(error) and "is it running?" in str(error)


async def test_migrations_step_up_and_record_the_version(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await migrate(conn, "demo", STEPS[:1], ("things",)) == 0
        assert await schema_version(conn, "demo") == 1
        assert await migrate(conn, "demo", STEPS, ("things",)) == 1
        assert await schema_version(conn, "demo") == 2
        await conn.execute("INSERT INTO things (id, name) VALUES (1, 'x')")
        assert await migrate(conn, "demo", STEPS, ("things",)) == 2  # nothing left to do
        assert await schema_version(conn, "other") == 0  # components are independent
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_the_previous_version(postgres_dsn: str) -> None:
    broken = (*STEPS, Migration(3, "broken", ("ALTER TABLE things ADD COLUMN n INT", "NONSENSE")))
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await migrate(conn, "demo", STEPS, ("things",))
        with pytest.raises(asyncpg.PostgresSyntaxError):
            await migrate(conn, "demo", broken, ("things",))
        assert await schema_version(conn, "demo") == 2
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'things'"
        )
        assert "n" not in {row[0] for row in columns}
    finally:
        await conn.close()


async def test_a_newer_schema_is_refused(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await migrate(conn, "history", MIGRATIONS, ())
        await conn.execute("UPDATE schema_version SET version = 99 WHERE component = 'history'")
    finally:
        await conn.close()
    with pytest.raises(SchemaError, match="newer"):
        await PostgresHistoryStore.open(postgres_dsn)


async def test_tables_of_another_program_are_refused_untouched(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("CREATE TABLE messages (id INTEGER)")
        with pytest.raises(SchemaError, match="did not create"):
            await PostgresHistoryStore.open(postgres_dsn)
        assert await schema_version(conn, "history") == 0
        assert await conn.fetchval("SELECT count(*) FROM messages") == 0
    finally:
        await conn.close()


async def test_processes_starting_together_migrate_once(postgres_dsn: str) -> None:
    stores = await asyncio.gather(*(PostgresHistoryStore.open(postgres_dsn) for _ in range(4)))
    await asyncio.gather(*(store.close() for store in stores))
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await schema_version(conn, "history") == MIGRATIONS[-1].version
    finally:
        await conn.close()


async def test_a_missing_database_is_explained(postgres_cluster: Cluster) -> None:
    with pytest.raises(StorageUnavailableError, match="does not exist"):
        await PostgresHistoryStore.open(postgres_cluster.dsn("no_such_db"))
