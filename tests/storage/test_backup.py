"""backup_data_dir: a consistent copy of a live data directory, which never overwrites."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from chatroom.storage import Latest
from chatroom.storage.backup import KEY_FILES, backup_data_dir
from chatroom.storage.errors import BackupError, StorageError
from chatroom.storage.open import open_stores
from chatroom.transports.tls import SELF_SIGNED_CERT, SELF_SIGNED_KEY
from support.account_stores import CHEAP
from support.history import ids, msg, store_all


async def test_a_live_data_directory_is_copied_whole(tmp_path: Path) -> None:
    data = tmp_path / "data"
    history, accounts = await open_stores(None, data, passwords=CHEAP)
    try:
        messages = [msg(ms=i, text=f"line {i}") for i in range(50)]
        assert all(await store_all(history, messages))
        await accounts.register("alice", "correct horse battery")
        # The stores are still open: what they wrote may be in the -wal files only.
        written = backup_data_dir(data, tmp_path / "copy")
    finally:
        await history.close()
        await accounts.close()
    assert sorted(p.name for p in written) == ["accounts.db", "history.db"]
    assert stat.S_IMODE((tmp_path / "copy").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)
    restored, restored_accounts = await open_stores(None, tmp_path / "copy", passwords=CHEAP)
    try:
        found = await restored.query(Latest("#chan", 100))
        assert ids(found) == ids(messages)
        assert await restored_accounts.get("alice") is not None
    finally:
        await restored.close()
        await restored_accounts.close()


def test_an_existing_destination_is_never_overwritten(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.db").write_bytes(b"")
    dest = tmp_path / "copy"
    dest.mkdir()
    (dest / "keep").write_text("mine")
    with pytest.raises(BackupError, match="already exists; give a new name"):
        backup_data_dir(data, dest)
    assert [p.name for p in dest.iterdir()] == ["keep"]


def test_nothing_to_back_up_says_so(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match=r"nothing to back up .* --data-dir"):
        backup_data_dir(tmp_path, tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


def test_a_damaged_database_leaves_no_half_backup(tmp_path: Path) -> None:
    (tmp_path / "history.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(BackupError, match="cannot copy") as info:
        backup_data_dir(tmp_path, tmp_path / "copy")
    assert isinstance(info.value, StorageError)
    assert not (tmp_path / "copy").exists()


def test_the_self_signed_tls_pair_comes_along(tmp_path: Path) -> None:
    assert KEY_FILES == (SELF_SIGNED_CERT, SELF_SIGNED_KEY)
    data = tmp_path / "data"
    data.mkdir()

    sqlite3.connect(data / "accounts.db").close()
    for name in KEY_FILES:
        (data / name).write_text(name)
    written = backup_data_dir(data, tmp_path / "copy")
    assert sorted(p.name for p in written) == sorted(["accounts.db", *KEY_FILES])
    assert (tmp_path / "copy" / SELF_SIGNED_KEY).read_text() == SELF_SIGNED_KEY
