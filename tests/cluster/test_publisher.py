"""Publishing without waiting (:mod:`chatroom.cluster.publisher`), against a
scripted loopback Redis that answers when the test says so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError

from chatroom.cluster.publisher import Publisher
from support.raw_redis import ScriptedRedis, until
from support.timeouts import TIMEOUT


@pytest.fixture
async def redis() -> AsyncIterator[ScriptedRedis]:
    server = await ScriptedRedis().start()
    yield server
    await server.stop()


COMMANDS = [("SPUBLISH", "chatroom:chan:{#a}", b"one"), ("PUBLISH", "chatroom:proc:p", b"two")]


async def test_a_batch_is_written_at_once_and_not_waited_for(redis: ScriptedRedis) -> None:
    lost: list[Exception] = []
    publisher = Publisher(redis.connection, lost.append)
    await asyncio.wait_for(publisher.send(COMMANDS), TIMEOUT)  # no reply needed
    await asyncio.wait_for(publisher.send(COMMANDS[:1]), TIMEOUT)
    await until(lambda: redis.received.count(b"PUBLISH") == 3)
    assert redis.connections == 1
    settled = asyncio.ensure_future(publisher.settled())
    redis.send(b":1\r\n:2\r\n")
    await asyncio.sleep(0.05)
    assert not settled.done()  # one reply still due
    redis.send(b":1\r\n")
    await asyncio.wait_for(settled, TIMEOUT)
    assert not lost
    await publisher.close()


async def test_a_refused_publish_is_logged_not_an_outage(
    redis: ScriptedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    lost: list[Exception] = []
    publisher = Publisher(redis.connection, lost.append)
    await publisher.send(COMMANDS)
    await until(lambda: redis.connections == 1)
    redis.send(b"-ERR something odd\r\n:1\r\n")
    await asyncio.wait_for(publisher.settled(), TIMEOUT)
    assert publisher.refused == 1 and not lost
    assert "Redis refused a publish: ERR something odd" in caplog.text
    await publisher.close()


@pytest.mark.parametrize("ending", [b"", b"%%% not RESP\r\n"])
async def test_a_lost_connection_is_reported_and_the_next_send_reconnects(
    redis: ScriptedRedis, ending: bytes
) -> None:
    lost: list[Exception] = []
    publisher = Publisher(redis.connection, lost.append)
    await publisher.send(COMMANDS)
    await until(lambda: redis.connections == 1)
    if ending:
        redis.send(ending)
    else:
        redis.hang_up()
    await until(lambda: bool(lost))  # the bridge counts an outage at once
    await asyncio.wait_for(publisher.settled(), TIMEOUT)  # nobody waits forever
    await publisher.send(COMMANDS[:1])
    await until(lambda: redis.connections == 2)
    await publisher.close()


async def test_a_redis_that_stops_answering_is_a_lost_connection(redis: ScriptedRedis) -> None:
    """A Redis gone off the network answers nothing and raises nothing: the writer
    must not wait for it forever (it would hold every later event)."""
    publisher = Publisher(redis.connection, lambda exc: None)
    publisher.reply_timeout = 0.2
    await publisher.send(COMMANDS)
    with pytest.raises(RedisTimeoutError):
        await asyncio.wait_for(publisher.settled(), TIMEOUT)
    await publisher.send(COMMANDS[:1])  # on a fresh connection
    await until(lambda: redis.connections == 2)
    await publisher.close()
