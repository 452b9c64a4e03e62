"""The retention policy and its periodic task."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from chatroom.storage import RetentionPolicy, run_retention
from chatroom.storage.memory import MemoryHistoryStore
from support.history import msg, store_all
from support.timeouts import TIMEOUT


def test_policy_validates_and_knows_when_it_is_off() -> None:
    assert not RetentionPolicy().enabled
    assert RetentionPolicy(max_per_target=10).enabled
    assert RetentionPolicy(max_age=timedelta(days=30)).enabled
    with pytest.raises(ValueError):
        RetentionPolicy(max_age=timedelta(0))
    with pytest.raises(ValueError):
        RetentionPolicy(max_per_target=0)
    with pytest.raises(ValueError):
        RetentionPolicy(max_per_target=1, interval=timedelta(0))


async def test_disabled_policy_returns_at_once() -> None:
    await asyncio.wait_for(run_retention(MemoryHistoryStore(), RetentionPolicy()), TIMEOUT)


async def test_the_task_applies_the_policy_again_and_again() -> None:
    store = MemoryHistoryStore()
    policy = RetentionPolicy(max_per_target=2, interval=timedelta(milliseconds=10))
    task = asyncio.create_task(run_retention(store, policy))
    try:
        await store_all(store, [msg(ms=i) for i in range(5)])
        async with asyncio.timeout(TIMEOUT):
            while len(await store.latest("#chan", 10)) > 2:
                await asyncio.sleep(0.005)
        await store_all(store, [msg(ms=i) for i in range(10, 15)])
        async with asyncio.timeout(TIMEOUT):
            while len(await store.latest("#chan", 10)) > 2:
                await asyncio.sleep(0.005)
        assert [m.text for m in await store.latest("#chan", 10)] == ["hello", "hello"]
    finally:
        task.cancel()


async def test_a_failing_run_is_logged_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryHistoryStore()
    await store_all(store, [msg(ms=i) for i in range(5)])
    store.fail_queries = True
    policy = RetentionPolicy(max_per_target=1, interval=timedelta(milliseconds=10))
    task = asyncio.create_task(run_retention(store, policy))
    try:
        async with asyncio.timeout(TIMEOUT):
            while "retention failed, will retry" not in caplog.text:
                await asyncio.sleep(0.005)
        store.fail_queries = False
        async with asyncio.timeout(TIMEOUT):
            while len(await store.latest("#chan", 10)) > 1:
                await asyncio.sleep(0.005)
        assert not task.done()
    finally:
        task.cancel()
