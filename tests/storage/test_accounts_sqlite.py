"""The SQLite account store on real files: persistence, privacy, schema, damaged files."""

from __future__ import annotations

import sqlite3
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chatroom.storage.accounts import BanRecord, ChannelRecord, ListEntry
from chatroom.storage.accounts_sqlite import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    SQLiteAccountStore,
    migrate,
    open_accounts,
)
from chatroom.storage.errors import SchemaError, StorageCorruptError, StorageUnavailableError
from chatroom.storage.schema import Migration
from chatroom.storage.sqlite import SQLiteHistoryStore
from support.account_stores import CHEAP, ITERATIONS

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


async def open_at(path: Path) -> SQLiteAccountStore:
    return await SQLiteAccountStore.open(path, passwords=CHEAP, scram_iterations=ITERATIONS)


async def test_everything_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    store = await open_at(path)
    account = await store.register("Alice", PASSWORD, "alice@example.org")
    channel = await store.register_channel(
        ChannelRecord(
            "#Lobby",
            "alice",
            topic="hi",
            topic_setter="Alice!a@h",
            topic_time=T0,
            modes="nt",
            key="k",
            limit=9,
            bans=(ListEntry("*!*@x", "Alice", T0),),
            invex=(ListEntry("*!*@y", "Alice", T0),),
            operators=frozenset({"alice"}),
        )
    )
    ban = BanRecord("*!*@203.0.113.9", "flood", "oper", T0, T0 + timedelta(days=365 * 50))
    await store.add_ban(ban)
    real = await store.scram_credentials("alice")
    fake = await store.scram_credentials("nobody")
    await store.close()

    store = await open_at(path)
    try:
        assert await store.get("alice") == account
        assert await store.verify_password("ALICE", PASSWORD) == account
        assert await store.scram_credentials("alice") == real
        # The fake credentials' key is kept in the file: across restarts a prober sees the
        # same salt for a missing name, as it would for a real one.
        assert (await store.scram_credentials("nobody")).credentials == fake.credentials
        assert await store.list_channels() == [channel]
        assert await store.list_bans() == [ban]
    finally:
        await store.close()


async def test_fake_credentials_differ_between_files(tmp_path: Path) -> None:
    one, two = await open_at(tmp_path / "one.db"), await open_at(tmp_path / "two.db")
    try:
        a, b = await one.scram_credentials("nobody"), await two.scram_credentials("nobody")
        assert a.credentials != b.credentials
    finally:
        await one.close()
        await two.close()


async def test_the_password_is_nowhere_in_the_files(tmp_path: Path) -> None:
    store = await open_at(tmp_path / "accounts.db")
    secret = "unmistakable-passphrase-42"
    await store.register("alice", secret)
    await store.set_password("alice", secret + "!")
    files = list(tmp_path.iterdir())
    blob = b"".join(f.read_bytes() for f in files)  # the database and its WAL
    await store.close()
    assert len(files) >= 2
    assert secret.encode() not in blob
    assert b"$argon2id$" in blob


@posix_only
async def test_files_are_private(tmp_path: Path) -> None:
    store = await open_accounts(tmp_path / "data")
    await store.close()
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / "accounts.db").stat().st_mode) == 0o600


async def test_open_accounts_default_options(tmp_path: Path) -> None:
    store = await open_accounts(tmp_path, passwords=CHEAP, nick_length=9)
    try:
        assert store.path == tmp_path / "accounts.db"
        assert store.scram_iterations == 4096  # RFC 7677's minimum
        assert store.nick_length == 9
    finally:
        await store.close()


async def test_unwritable_place_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageUnavailableError, match="data directory"):
        await open_accounts(blocker / "data")
    with pytest.raises(StorageUnavailableError):
        await open_at(blocker / "accounts.db")


# --- schema ------------------------------------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


async def test_a_new_file_gets_the_current_schema(tmp_path: Path) -> None:
    await (await open_at(tmp_path / "accounts.db")).close()
    conn = connect(tmp_path / "accounts.db")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"meta", "accounts", "channels", "server_bans"} <= tables
        assert migrate(conn) == SCHEMA_VERSION  # nothing left to do
    finally:
        conn.close()


async def test_a_history_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    history = await SQLiteHistoryStore.open(path)
    await history.close()
    before = path.read_bytes()
    with pytest.raises(SchemaError, match="some other program"):
        await open_at(path)
    assert path.read_bytes() == before


async def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    conn = connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    with pytest.raises(SchemaError):
        await open_at(path)


async def test_a_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    await (await open_at(path)).close()
    conn = connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaError, match="newer"):
        await open_at(path)


async def test_a_later_migration_upgrades_a_file_in_place(tmp_path: Path) -> None:
    # The machinery future migrations will use, on a v1 file holding an account.
    path = tmp_path / "accounts.db"
    store = await open_at(path)
    await store.register("alice", PASSWORD)
    await store.close()
    extra = Migration(
        SCHEMA_VERSION + 1, "test", ("ALTER TABLE accounts ADD COLUMN verified INTEGER",)
    )
    conn = connect(path)
    try:
        assert migrate(conn, (*MIGRATIONS, extra)) == SCHEMA_VERSION
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert conn.execute("SELECT name, verified FROM accounts").fetchall() == [("alice", None)]
    finally:
        conn.close()


async def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    store = await open_at(path)
    await store.register("alice", PASSWORD)
    await store.close()
    broken = Migration(
        SCHEMA_VERSION + 1,
        "half-applies, then fails",
        ("CREATE TABLE extra (x)", "DROP TABLE accounts", "CREATE TABLE extra (y)"),
    )
    conn = connect(path)
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn, (*MIGRATIONS, broken))
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT name FROM accounts").fetchall() == [("alice",)]
    finally:
        conn.close()


async def test_a_damaged_file_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    path.write_bytes(b"this is not an SQLite database, just some bytes" * 100)
    with pytest.raises(StorageCorruptError, match="damaged"):
        await open_at(path)
