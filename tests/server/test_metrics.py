"""The operator's counters (server/metrics.py), counted by the core in memory."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from chatroom.server.config import Config
from chatroom.server.metrics import STORE_BUCKETS, LoopLag, Metrics
from support.core import OPER_NAME, OPER_PASSWORD, Harness, join
from support.fakes import settle


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    made = Harness()
    yield made
    await made.close()


async def test_registrations_relays_and_deliveries(harness: Harness) -> None:
    metrics = harness.server.metrics
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    carol = await harness.user("carol", caps=["echo-message"])
    assert metrics.registrations == 3
    await join("#room", alice, bob, carol)

    await alice.ask("PRIVMSG #room :hello")  # to bob and carol
    assert (metrics.relays, metrics.deliveries) == (1, 2)
    await carol.ask("PRIVMSG #room :hi")  # her echo is a reply, not a delivery
    assert (metrics.relays, metrics.deliveries) == (2, 4)
    await alice.ask("PRIVMSG bob :psst")
    assert (metrics.relays, metrics.deliveries) == (3, 5)
    await alice.ask("PRIVMSG alice :note to self")  # arrives once, to herself
    assert (metrics.relays, metrics.deliveries) == (4, 6)
    await alice.ask("PRIVMSG @#room :ops only")  # alice is the only op: nobody else
    assert (metrics.relays, metrics.deliveries) == (5, 6)
    await alice.ask("PRIVMSG nobody :lost")  # an error, not a relay
    assert (metrics.relays, metrics.deliveries) == (5, 6)


async def test_history_rows_and_their_latency(harness: Harness) -> None:
    metrics = harness.server.metrics
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await join("#room", alice, bob)
    await alice.ask("PRIVMSG #room,bob :twice")
    assert metrics.history_written == 2
    assert metrics.history_pending == 0
    assert sum(metrics.history_seconds_buckets) == 2
    assert metrics.history_seconds >= 0.0

    assert harness.history is not None
    harness.history.fail_writes = True  # refused up front: nothing is appended
    await alice.ask("PRIVMSG #room :refused")
    assert (metrics.history_written, metrics.history_failed, metrics.relays) == (2, 0, 2)


def test_a_failed_store_is_counted_apart() -> None:
    metrics = Metrics()
    metrics.history_pending = 2
    metrics.stored(False, 0.5)
    metrics.stored(True, 10.0)  # beyond every bound: the +Inf bucket
    assert (metrics.history_written, metrics.history_failed, metrics.history_pending) == (1, 1, 0)
    assert metrics.history_seconds_buckets[len(STORE_BUCKETS)] == 1


async def test_logins_by_result(harness: Harness) -> None:
    metrics = harness.server.metrics
    bob = await harness.user("bob")
    await bob.expect(f"OPER {OPER_NAME} :{OPER_PASSWORD}", "381")
    assert (metrics.logins_ok, metrics.logins_failed, metrics.logins_throttled) == (1, 0, 0)
    alice = await harness.user("alice")
    for _ in range(3):
        await alice.expect(f"OPER {OPER_NAME} :wrong", "464")
    await alice.ask(f"OPER {OPER_NAME} :{OPER_PASSWORD}")  # throttled by now
    assert (metrics.logins_ok, metrics.logins_failed, metrics.logins_throttled) == (1, 3, 1)


async def test_flood_delays() -> None:
    harness = Harness(Config(flood_burst=5, flood_rate=0.1))
    try:
        alice = await harness.user("alice")
        alice.send(*(["PING :x"] * 10))
        await settle()
        assert harness.server.metrics.flood_delays == 1  # paused once, until a token is back
    finally:
        await harness.close()


async def test_sendq_drops(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await join("#room", alice, bob)
    bob.transport.get_write_buffer_size = lambda: 1 << 30  # type: ignore[method-assign]
    await alice.ask("PRIVMSG #room :are you there?")
    assert bob.session.closed
    assert harness.server.metrics.sendq_drops == 1


async def test_the_loop_lag() -> None:
    loop = asyncio.get_running_loop()
    metrics = Metrics()
    lag = LoopLag(metrics, loop, interval=0.01)
    lag.start()
    lag.start()  # idempotent
    await asyncio.sleep(0.02)
    time.sleep(0.1)  # the loop is stuck in one callback
    await asyncio.sleep(0.05)
    lag.stop()
    lag.stop()
    assert metrics.loop_lag_max >= 0.05
    assert metrics.take_lag_max() >= 0.05
    assert metrics.loop_lag_max == metrics.loop_lag  # started again from the last one
