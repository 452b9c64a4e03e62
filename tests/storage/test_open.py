"""open_stores: one database URL picks where history and accounts live."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chatroom.storage import StorageUnavailableError
from chatroom.storage.accounts_postgres import PostgresAccountStore
from chatroom.storage.accounts_sqlite import SQLiteAccountStore
from chatroom.storage.open import open_stores
from chatroom.storage.postgres import PostgresHistoryStore
from chatroom.storage.sqlite import SQLiteHistoryStore
from support.account_stores import CHEAP
from support.history import msg, store_all


async def test_no_url_means_sqlite_files_in_the_data_directory(tmp_path: Path) -> None:
    history, accounts = await open_stores(None, tmp_path / "data", passwords=CHEAP)
    try:
        assert isinstance(history, SQLiteHistoryStore)
        assert isinstance(accounts, SQLiteAccountStore)
        assert sorted(p.name for p in (tmp_path / "data").glob("*.db")) == [
            "accounts.db",
            "history.db",
        ]
    finally:
        await history.close()
        await accounts.close()


async def test_a_postgresql_url_means_both_stores_in_that_database(postgres_dsn: str) -> None:
    history, accounts = await open_stores(postgres_dsn, None, passwords=CHEAP, nick_length=9)
    try:
        assert isinstance(history, PostgresHistoryStore)
        assert isinstance(accounts, PostgresAccountStore)
        assert accounts.nick_length == 9
        assert await store_all(history, [msg()]) == [True]
        assert (await accounts.register("alice", "correct horse battery")).name == "alice"
    finally:
        await history.close()
        await accounts.close()


@pytest.mark.parametrize("url", ["mysql://u:s3cret@h/db", "sqlite:///tmp/x", "db.example"])
async def test_other_urls_are_refused_without_their_password(url: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported database URL") as caught:
        await open_stores(url, tmp_path)
    assert "s3cret" not in str(caught.value)
    assert not list(tmp_path.iterdir())  # nothing was created


async def test_an_unreachable_database_is_a_storage_error(tmp_path: Path) -> None:
    url = f"postgresql://chat:s3cret@/chat?host={tmp_path}&port=1"
    with pytest.raises(StorageUnavailableError) as caught:
        await open_stores(url, tmp_path)
    assert "s3cret" not in str(caught.value) and "***" in str(caught.value)


def test_sqlite_servers_never_load_the_postgresql_driver() -> None:
    code = "import sys, chatroom.storage; print('asyncpg' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
