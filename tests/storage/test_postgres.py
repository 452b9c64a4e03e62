"""What the PostgreSQL history store adds to the shared contract: group commit, a database
shared by several stores (as by several server processes), durability across a reopen, and
riding out a database outage. The contract itself runs in test_contract.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta

import asyncpg
import pytest

from chatroom.storage import StorageUnavailableError, dm_key
from chatroom.storage.accounts_postgres import PostgresAccountStore
from chatroom.storage.postgres import MIGRATIONS, PostgresHistoryStore
from chatroom.storage.postgres_db import migrate
from support.account_stores import CHEAP, ITERATIONS
from support.history import at, ids, msg, store_all
from support.postgres import Cluster, running_postgres
from support.timeouts import TIMEOUT


async def test_group_commit_writes_a_backlog_in_few_transactions(postgres_dsn: str) -> None:
    store = await PostgresHistoryStore.open(postgres_dsn)
    batches: list[int] = []
    write = store._write

    async def counting(batch: list[object]) -> list[bool]:
        batches.append(len(batch))
        return await write(batch)  # type: ignore[arg-type]

    store._write = counting  # type: ignore[method-assign]
    try:
        messages = [msg(ms=i) for i in range(3000)]
        assert all(await store_all(store, messages))
    finally:
        await store.close()
    assert sum(batches) == 3000
    assert len(batches) <= 4, batches  # 2048 at most per transaction


async def test_everything_is_there_exactly_once_after_a_reopen(postgres_dsn: str) -> None:
    targets = ["#a", "#b", dm_key("alice", "bob")]
    sent = [msg(targets[i % 3], ms=i // 7, text=f"n{i}") for i in range(1500)]
    store = await PostgresHistoryStore.open(postgres_dsn)
    results: list[bool] = []
    for message in sent:
        store.append(message, results.append)
    await store.close()  # close, not flush: closing must commit the queue
    assert results == [True] * len(sent)

    store = await PostgresHistoryStore.open(postgres_dsn)
    try:
        for target in targets:
            mine = [m for m in sent if m.target == target]
            assert ids(await store.latest(target, 1000)) == ids(mine)
        found = await store.targets(at(-1), at(10_000), 10, channels=["#a"], nick="bob")
        assert [activity.target for activity in found] == ["#a", dm_key("alice", "bob")]
    finally:
        await store.close()


async def test_two_processes_share_one_history(postgres_dsn: str) -> None:
    one = await PostgresHistoryStore.open(postgres_dsn)
    two = await PostgresHistoryStore.open(postgres_dsn)
    try:
        first, second = msg(ms=0, text="from one"), msg(ms=1, text="from two")
        assert await store_all(one, [first]) == [True]
        assert await store_all(two, [second]) == [True]
        assert await one.latest("#chan", 10) == await two.latest("#chan", 10) == [first, second]
        # A msgid is unique network-wide: the second process cannot store it again.
        assert await store_all(two, [msg(ms=2, msgid=first.msgid)]) == [False]
        # One process purges a private conversation; the other stores to it again and it
        # must show up in TARGETS (no stale cache of known conversations).
        dm = dm_key("alice", "bob")
        assert await store_all(two, [msg(dm, 5)]) == [True]
        assert await one.purge(dm) == 1
        assert await store_all(two, [msg(dm, 6)]) == [True]
        found = await one.targets(at(0), at(100), 10, nick="alice")
        assert [activity.target for activity in found] == [dm]
        assert await one.apply_retention(max_age=timedelta(0), now=at(1)) == 1
    finally:
        await asyncio.gather(one.close(), two.close())


async def test_a_closed_pool_and_writer_refuse_cleanly(postgres_dsn: str) -> None:
    store = await PostgresHistoryStore.open(postgres_dsn)
    await store.close()
    conn = await asyncpg.connect(postgres_dsn)
    try:  # every connection of the store is gone
        others = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    assert others == 0


# --- an outage: a cluster of its own, stopped and started again -------------------------------


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server for this test only, which it may stop and start."""
    with running_postgres() as cluster:
        yield cluster


async def append_one(store: PostgresHistoryStore, text: str) -> bool:
    results: list[bool] = []
    store.append(msg(text=text, ms=int(time.monotonic() * 1000)), results.append)
    await store.flush()
    return results[0]


async def until(check_ok: object, deadline: float) -> None:
    assert callable(check_ok)
    while True:
        try:
            if await check_ok():
                return
        except StorageUnavailableError:
            pass
        assert time.monotonic() < deadline, "the store did not recover"
        await asyncio.sleep(0.1)


async def test_a_database_outage_fails_cleanly_and_recovers(own_cluster: Cluster) -> None:
    dsn = own_cluster.dsn()
    history = await PostgresHistoryStore.open(
        dsn, connect_timeout=2, command_timeout=5, probe_interval=0.05
    )
    accounts = await PostgresAccountStore.open(
        dsn, passwords=CHEAP, scram_iterations=ITERATIONS, connect_timeout=2
    )
    try:
        assert await append_one(history, "before")
        await accounts.register("alice", "correct horse battery")

        await asyncio.to_thread(own_cluster.stop)
        started = time.monotonic()
        assert not await append_one(history, "during")
        assert not await append_one(history, "during, again")  # fails fast while backing off
        assert time.monotonic() - started < TIMEOUT
        assert not history.writable  # the server refuses new messages meanwhile
        with pytest.raises(StorageUnavailableError, match="is it running"):
            await history.latest("#chan", 10)
        with pytest.raises(StorageUnavailableError):
            await accounts.get("alice")

        await asyncio.to_thread(own_cluster.start)
        deadline = time.monotonic() + TIMEOUT

        async def writable() -> bool:  # nobody appends: the writer's probe finds out
            await asyncio.sleep(0.05)
            return history.writable

        await until(writable, deadline)
        await until(lambda: append_one(history, "after"), deadline)
        await until(lambda: accounts.get("alice"), deadline)
        texts = [m.text for m in await history.latest("#chan", 10)]
        assert texts[0] == "before" and texts[-1] == "after" and "during" not in texts
    finally:
        await asyncio.gather(history.close(), accounts.close())


async def test_opening_with_the_server_down_is_a_clean_error(own_cluster: Cluster) -> None:
    await asyncio.to_thread(own_cluster.stop)
    with pytest.raises(StorageUnavailableError, match="is it running"):
        await PostgresHistoryStore.open(own_cluster.dsn(), connect_timeout=2)
    with pytest.raises(StorageUnavailableError, match="is it running"):
        await PostgresAccountStore.open(own_cluster.dsn(), connect_timeout=2)


async def test_a_version_1_database_gains_read_markers(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await migrate(conn, "history", MIGRATIONS[:1], ("messages", "dm_participants"))
    finally:
        await conn.close()
    store = await PostgresHistoryStore.open(postgres_dsn)
    try:
        await store_all(store, [msg("#chan", 0, "kept")])
        assert await store.set_read_marker("alice", "#chan", at(5)) == at(5)
        assert await store.read_marker("alice", "#chan") == at(5)
        assert [m.text for m in await store.latest("#chan", 10)] == ["kept"]
    finally:
        await store.close()
