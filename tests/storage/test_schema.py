"""Schema versions and migrations, on real database files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chatroom.storage import SchemaError, Search, TargetActivity, dm_key
from chatroom.storage.schema import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    migrate,
    version_of,
)
from chatroom.storage.sqlite import SQLiteHistoryStore
from support.history import T0, at


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def make_version_1(path: Path) -> None:
    """A database as chatroom with schema version 1 left it, holding a few rows."""
    conn = connect(path)
    try:
        assert migrate(conn, target_version=1) == 0
        t0 = int(T0.timestamp() * 1000)
        rows = [
            ("id-1", t0, "#lobby", "PRIVMSG", "a!u@h", None, "#Lobby", "hello", None),
            ("id-2", t0 + 1, dm_key("alice", "bob"), "PRIVMSG", "alice!u@h", "acct", "bob",
             "psst", '{"+draft/reply":"id-1"}'),
            ("id-3", t0 + 2, "#lobby", "NOTICE", "b!u@h", None, "#lobby", "hi", None),
        ]  # fmt: skip
        conn.executemany(
            "INSERT INTO messages (msgid, time, target, kind, source, account, target_param,"
            " text, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    finally:
        conn.close()


def tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}


def test_migrations_are_numbered_one_by_one() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert SCHEMA_VERSION == MIGRATIONS[-1].version == 5


def test_a_new_file_gets_the_latest_schema(tmp_path: Path) -> None:
    conn = connect(tmp_path / "h.db")
    assert migrate(conn) == 0
    assert version_of(conn) == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    assert {"messages", "dm_participants", "messages_by_target", "messages_by_time"} <= tables(conn)
    assert migrate(conn) == SCHEMA_VERSION  # a second run does nothing
    conn.close()


async def test_version_1_file_is_upgraded_without_losing_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    make_version_1(path)
    store = await SQLiteHistoryStore.open(path)
    try:
        lobby = await store.latest("#lobby", 10)
        assert [(m.msgid, m.text, m.kind, m.target_param) for m in lobby] == [
            ("id-1", "hello", "PRIVMSG", "#Lobby"),
            ("id-3", "hi", "NOTICE", "#lobby"),
        ]
        (dm,) = await store.latest("alice,bob", 10)
        assert (dm.account, dict(dm.tags), dm.time) == ("acct", {"+draft/reply": "id-1"}, at(1))
        # Migration 2 back-filled the DM index from the old rows: TARGETS finds the DM.
        found = await store.targets(at(-1000), at(1000), 10, nick="bob")
        assert found == [TargetActivity("alice,bob", at(1))]
        # Migration 3 indexed the old rows' text for SEARCH.
        (hit,) = await store.search(Search("ell", 10, targets=("#lobby",)))
        assert hit.msgid == "id-1"
    finally:
        await store.close()
    conn = connect(path)
    assert version_of(conn) == SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM messages").fetchone() == (3,)
    conn.close()


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    make_version_1(path)
    conn = connect(path)
    conn.execute("CREATE INDEX messages_by_time ON messages (time)")  # collides with v2
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        migrate(conn)
    assert version_of(conn) == 1
    assert "dm_participants" not in tables(conn)
    assert conn.execute("SELECT count(*) FROM messages").fetchone() == (3,)
    conn.close()


async def test_a_newer_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    conn = connect(path)
    migrate(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaError, match="newer"):
        await SQLiteHistoryStore.open(path)
    assert path.read_bytes() == before


async def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    conn = connect(path)
    conn.execute("CREATE TABLE accounts (name TEXT)")
    conn.close()
    with pytest.raises(SchemaError, match="some other program"):
        await SQLiteHistoryStore.open(path)
    conn = connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.close()
    with pytest.raises(SchemaError, match="some other program"):
        await SQLiteHistoryStore.open(path)


def test_migrate_rejects_an_unknown_version(tmp_path: Path) -> None:
    conn = connect(tmp_path / "h.db")
    with pytest.raises(ValueError):
        migrate(conn, target_version=SCHEMA_VERSION + 1)
    conn.close()


async def test_version_2_file_gains_read_markers_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    make_version_1(path)
    conn = connect(path)
    assert migrate(conn, target_version=2) == 1
    conn.close()
    store = await SQLiteHistoryStore.open(path)
    try:
        assert len(await store.latest("#lobby", 10)) == 2
        assert await store.read_marker("alice", "#lobby") is None
        assert await store.set_read_marker("alice", "#lobby", at(2)) == at(2)
    finally:
        await store.close()
    conn = connect(path)
    assert version_of(conn) == SCHEMA_VERSION >= 3
    conn.close()
