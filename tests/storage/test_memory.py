"""What the memory backend adds to the contract: switches to simulate failures."""

from __future__ import annotations

import pytest

from chatroom.storage import StorageUnavailableError
from chatroom.storage.memory import MemoryHistoryStore
from support.history import msg, store_all


async def test_simulated_write_failure_reports_false_and_stores_nothing() -> None:
    store = MemoryHistoryStore()
    store.fail_writes = True
    assert not store.writable  # as a real store after a failed commit
    assert await store_all(store, [msg()]) == [False]
    store.fail_writes = False
    assert store.writable
    assert await store.latest("#chan", 10) == []
    assert await store_all(store, [msg()]) == [True]


async def test_simulated_query_failure_raises_storage_unavailable() -> None:
    store = MemoryHistoryStore()
    store.fail_queries = True
    with pytest.raises(StorageUnavailableError):
        await store.latest("#chan", 10)
    with pytest.raises(StorageUnavailableError):
        await store.purge("#chan")


async def test_a_failing_callback_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryHistoryStore()
    results: list[bool] = []

    def broken(ok: bool) -> None:
        raise RuntimeError("bug in the server")

    store.append(msg(ms=0), broken)
    store.append(msg(ms=1), results.append)
    await store.flush()
    assert results == [True]
    assert "on_stored callback failed" in caplog.text
