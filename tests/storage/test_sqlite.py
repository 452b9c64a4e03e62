"""The SQLite backend beyond the shared contract: files, speed, and every way a disk fails."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatroom.storage import (
    HISTORY_FILENAME,
    MsgidAnchor,
    StorageCorruptError,
    StorageError,
    StorageUnavailableError,
    StoreClosedError,
    dm_key,
    measure_throughput,
)
from chatroom.storage import sqlite as sqlite_module
from chatroom.storage.sqlite import SQLiteHistoryStore, open_history
from support.history import at, msg, store_all
from support.timeouts import TIMEOUT

LOGGER = "chatroom.storage"


# --- files and lifecycle ---------------------------------------------------------------------


async def test_history_survives_a_graceful_restart(tmp_path: Path) -> None:
    first = await open_history(tmp_path)
    messages = [msg("#chan", i, f"m{i}") for i in range(100)]
    for message in messages:
        first.append(message)
    await first.close()  # no flush: close must not lose anything
    assert not (tmp_path / f"{HISTORY_FILENAME}-wal").exists()  # folded into the database

    second = await open_history(tmp_path)
    try:
        assert await second.latest("#chan", 1000) == messages
    finally:
        await second.close()


async def test_open_history_creates_a_private_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "deep" / "chatroom"
    store = await open_history(data_dir)
    await store.close()
    assert store.path == data_dir / HISTORY_FILENAME
    assert (data_dir.stat().st_mode & 0o777) == 0o700


async def test_open_history_defaults_to_the_per_user_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    store = await open_history()
    await store.close()
    assert store.path == tmp_path / "xdg" / "chatroom" / HISTORY_FILENAME


async def test_the_database_is_in_wal_mode(sqlite_store: SQLiteHistoryStore) -> None:
    await store_all(sqlite_store, [msg()])
    with sqlite3.connect(sqlite_store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_queries_see_what_was_flushed_while_writes_go_on(
    sqlite_store: SQLiteHistoryStore,
) -> None:
    await store_all(sqlite_store, [msg(ms=i) for i in range(10)])
    for i in range(10, 2000):  # writer busy while we read on the reader connection
        sqlite_store.append(msg(ms=i))
    first = await sqlite_store.latest("#chan", 5, after=None)
    assert len(first) == 5
    await sqlite_store.flush()
    assert len(await sqlite_store.latest("#chan", 10_000)) == 2000


async def test_a_failing_callback_does_not_stop_the_others(
    sqlite_store: SQLiteHistoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    results: list[bool] = []

    def broken(ok: bool) -> None:
        raise RuntimeError("bug in the server")

    sqlite_store.append(msg(ms=0), broken)
    sqlite_store.append(msg(ms=1), results.append)
    await sqlite_store.flush()
    assert results == [True]
    assert "on_stored callback failed" in caplog.text


async def test_big_backlogs_and_purges_go_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_module, "BATCH_MAX", 7)
    monkeypatch.setattr(sqlite_module, "DELETE_CHUNK", 5)
    store = await SQLiteHistoryStore.open(tmp_path / "h.db", busy_timeout=TIMEOUT)
    other = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    try:
        key = dm_key("alice", "bob")
        assert all(await store_all(store, [msg(key, i) for i in range(53)]))
        # A purge goes 5 rows per transaction; an append made meanwhile is committed between
        # two chunks instead of waiting for the whole purge. The other connection's lock
        # holds the first chunk back until the append is surely queued.
        other.execute("BEGIN IMMEDIATE")
        events: list[str] = []
        purge = asyncio.ensure_future(store.purge(key))
        purge.add_done_callback(lambda _: events.append("purged"))
        await asyncio.sleep(0)
        store.append(msg("#chan", 99), lambda ok: events.append(f"stored {ok}"))
        other.execute("ROLLBACK")
        assert await purge == 53
        await store.flush()
        assert events == ["stored True", "purged"]
        assert await store.targets(at(-1), at(100), 10, nick="alice") == []
        assert await store_all(store, [msg(key, i) for i in range(30)]) == [True] * 30
        assert await store.apply_retention(max_per_target=4) == 26
        assert len(await store.latest(key, 100)) == 4
    finally:
        other.close()
        await store.close()


async def test_close_during_a_long_purge_does_not_hang(
    sqlite_store: SQLiteHistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_module, "DELETE_CHUNK", 1)
    await store_all(sqlite_store, [msg(ms=i) for i in range(200)])
    purge = asyncio.ensure_future(sqlite_store.purge("#chan"))
    await asyncio.sleep(0)
    await asyncio.wait_for(sqlite_store.close(), TIMEOUT)
    # Finished before the stop, or abandoned between two chunks: nobody waits for ever.
    with contextlib.suppress(StoreClosedError):
        assert await asyncio.wait_for(purge, TIMEOUT) == 200


async def test_throughput_is_well_over_ten_thousand_per_second(
    sqlite_store: SQLiteHistoryStore,
) -> None:
    rate = await measure_throughput(sqlite_store, 20_000)
    print(f"SQLite history: {rate:,.0f} stored messages/s")
    assert rate > 10_000


# --- failures ----------------------------------------------------------------------------------


async def test_size_limit_full_fails_writes_keeps_data_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # max_page_count makes SQLite itself report SQLITE_FULL, exactly as a full disk does.
    store = await SQLiteHistoryStore.open(
        tmp_path / "h.db", max_bytes=64 * 1024, probe_interval=0.01
    )
    try:
        kept = [msg("#keep", i) for i in range(20)]
        assert all(await store_all(store, kept))
        assert store.writable
        filler = [msg("#spam", i, "x" * 500) for i in range(400)]
        results = await store_all(store, filler)
        assert False in results
        assert not store.writable  # the server refuses new messages from here on
        assert "disk is full" in caplog.text and "new messages are refused" in caplog.text
        assert await store.latest("#keep", 100) == kept  # nothing stored is damaged
        await store.purge("#spam")  # frees pages inside the file
        # Nobody appends while it is not writable: the writer's probe finds the room.
        await eventually(lambda: store.writable)
        assert "works again" in caplog.text
        assert await store_all(store, [msg("#keep", 99)]) == [True]
        assert [m.text for m in await store.latest("#keep", 100)] == ["hello"] * 21
    finally:
        await store.close()


async def eventually(check: Callable[[], bool]) -> None:
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not within the timeout"
        await asyncio.sleep(0.01)


async def test_failures_are_logged_once_a_minute_and_recovery_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await SQLiteHistoryStore.open(tmp_path / "h.db", busy_timeout=0.01)
    other = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # writes fail (locked) until released
        for i in range(5):
            assert await store_all(store, [msg(ms=i)]) == [False]
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "5 message(s)" not in errors[0].getMessage()
        other.execute("ROLLBACK")
        assert await store_all(store, [msg(ms=9)]) == [True]
        assert await store_all(store, [msg(ms=10)]) == [True]
        recovered = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert recovered == [
            "history: storing messages works again; messages are accepted again "
            "(5 message(s) were not stored)"
        ]
    finally:
        other.close()
        await store.close()


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs: a real full disk. Needs root and Linux; skipped otherwise."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root on Linux")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


async def test_a_really_full_disk(tiny_tmpfs: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = await open_history(tiny_tmpfs)
    try:
        first = [msg("#chan", i) for i in range(10)]
        assert all(await store_all(store, first))
        results: list[bool] = []
        for chunk in range(100):  # 100 × 20 × 2 KB: far more than the 256 KiB volume
            batch = [msg("#chan", 100 + chunk, "x" * 2000) for _ in range(20)]
            results += await store_all(store, batch)
            if False in results:
                break
        assert False in results
        assert "disk is full" in caplog.text
        stored = await store.latest("#chan", 10_000)
        assert stored[:10] == first
        # Space comes back (the operator grows the volume): the writer carries on.
        subprocess.run(["mount", "-o", "remount,size=4m", str(tiny_tmpfs)], check=True)
        late = msg("#chan", 10_000)
        assert await store_all(store, [late]) == [True]
        assert (await store.latest("#chan", 1)) == [late]
    finally:
        await store.close()


async def test_a_locked_database_fails_writes_until_released(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await SQLiteHistoryStore.open(tmp_path / "h.db", busy_timeout=0.05)
    other = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    try:
        before = msg(ms=0)
        assert await store_all(store, [before]) == [True]
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        assert await store_all(store, [msg(ms=1)]) == [False]
        assert "second server using the same data directory" in caplog.text
        assert await store.latest("#chan", 10) == [before]  # reads still work (WAL)
        other.execute("ROLLBACK")
        after = msg(ms=2)
        assert await store_all(store, [after]) == [True]
        assert await store.latest("#chan", 10) == [before, after]
    finally:
        other.close()
        await store.close()


async def test_a_garbage_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILENAME
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    with pytest.raises(StorageCorruptError) as caught:
        await open_history(tmp_path)
    assert str(path) in str(caught.value) and "move the file aside" in str(caught.value)
    assert path.read_bytes() == garbage


async def test_damaged_pages_fail_queries_and_writes_cleanly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "h.db"
    store = await SQLiteHistoryStore.open(path)
    await store_all(store, [msg("#chan", i, "x" * 200) for i in range(2000)])
    await store.close()
    with path.open("r+b") as f:  # smash pages after the schema page
        f.seek(4096 * 3)
        f.write(b"\xde\xad\xbe\xef" * 5000)

    store = await SQLiteHistoryStore.open(path)
    try:
        with pytest.raises(StorageCorruptError):
            await store.latest("#chan", 5000)
        assert await store_all(store, [msg("#chan", 9999)]) == [False]
        assert "is damaged" in caplog.text
        # Still alive: another request gets the same clear error, not a hang.
        with pytest.raises(StorageError):
            await store.before("#chan", MsgidAnchor("x"), 5)
    finally:
        await store.close()


async def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailableError, match="data directory exists"):
        await SQLiteHistoryStore.open(tmp_path / "missing" / "h.db")


async def test_a_data_dir_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageUnavailableError, match="cannot create the data directory"):
        await open_history(tmp_path / "file" / "sub")


async def test_logs_say_which_file(
    sqlite_store: SQLiteHistoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    await sqlite_store.close()
    assert f"closed {sqlite_store.path}" in caplog.text
