"""measure_throughput, the figure the benchmark reports."""

from __future__ import annotations

import pytest

from chatroom.storage import StorageUnavailableError, measure_throughput
from chatroom.storage.memory import MemoryHistoryStore


async def test_it_stores_n_messages_and_returns_a_rate() -> None:
    store = MemoryHistoryStore()
    rate = await measure_throughput(store, 1000, target="#bench")
    assert rate > 0
    assert len(await store.latest("#bench", 5000)) == 1000


async def test_lost_messages_are_an_error_not_a_figure() -> None:
    store = MemoryHistoryStore()
    store.fail_writes = True
    with pytest.raises(StorageUnavailableError, match="1000 of 1000"):
        await measure_throughput(store, 1000)


async def test_n_must_be_positive() -> None:
    with pytest.raises(ValueError):
        await measure_throughput(MemoryHistoryStore(), 0)
