"""The bulk reader of subscriptions (:mod:`chatroom.cluster.subscriber`), against a
scripted loopback Redis: replies come in the bytes a test chooses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from chatroom.cluster.subscriber import ERROR, NodeSubscriber, OneNode
from support.raw_redis import ScriptedRedis, until
from support.timeouts import TIMEOUT


@pytest.fixture
async def redis() -> AsyncIterator[ScriptedRedis]:
    server = await ScriptedRedis().start()
    yield server
    await server.stop()


def _push(*items: bytes) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(b"$%d\r\n%s\r\n" % (len(i), i) for i in items)


async def test_every_buffered_event_comes_from_one_read(redis: ScriptedRedis) -> None:
    node = NodeSubscriber(redis.connection())
    await node.open()
    await until(lambda: redis.connections == 1)
    redis.send(b"".join(_push(b"smessage", b"chan", b"event %d" % n) for n in range(50)))
    messages = await asyncio.wait_for(node.read(), TIMEOUT)
    if len(messages) < 50:  # the kernel may split the bytes: the rest is one more read
        messages += await asyncio.wait_for(node.read(), TIMEOUT)
    assert messages == [(b"smessage", b"chan", b"event %d" % n) for n in range(50)]
    await node.close()


async def test_an_event_split_across_reads_waits_for_its_end(redis: ScriptedRedis) -> None:
    node = NodeSubscriber(redis.connection())
    await node.open()
    await until(lambda: redis.connections == 1)
    whole = _push(b"message", b"chatroom:events", b"payload")
    redis.send(whole[:10])
    reading = asyncio.ensure_future(node.read())
    await asyncio.sleep(0.05)
    assert not reading.done()  # half an event is not an event
    redis.send(whole[10:])
    assert await asyncio.wait_for(reading, TIMEOUT) == [
        (b"message", b"chatroom:events", b"payload")
    ]
    await node.close()


async def test_resp3_pushes_and_errors_are_read(redis: ScriptedRedis) -> None:
    node = NodeSubscriber(redis.connection())
    await node.open()
    await until(lambda: redis.connections == 1)
    redis.send(b">3\r\n$10\r\nssubscribe\r\n$4\r\nchan\r\n:1\r\n-MOVED 123 127.0.0.1:7001\r\n")
    assert await asyncio.wait_for(node.read(), TIMEOUT) == [
        (b"ssubscribe", b"chan", 1),
        (ERROR, b"", "MOVED 123 127.0.0.1:7001"),
    ]
    await node.close()


async def test_bytes_that_are_not_resp_are_a_lost_connection(redis: ScriptedRedis) -> None:
    node = NodeSubscriber(redis.connection())
    await node.open()
    await until(lambda: redis.connections == 1)
    redis.send(b"!!! not redis\r\n")
    with pytest.raises(RedisConnectionError):
        await asyncio.wait_for(node.read(), TIMEOUT)
    await node.close()


async def test_after_a_lost_connection_every_channel_is_subscribed_again(
    redis: ScriptedRedis,
) -> None:
    subscription = OneNode(redis.connection)
    await subscription.subscribe("chatroom:events", "chatroom:proc:me")
    await subscription.ssubscribe("chatroom:chan:{#a}")
    await subscription.unsubscribe("chatroom:proc:me")
    await until(lambda: b"UNSUBSCRIBE" in redis.received)
    assert await subscription.get_messages(timeout=0.05) == []  # quiet: nothing, no error
    redis.hang_up()
    with pytest.raises(RedisConnectionError):
        await subscription.get_messages(timeout=TIMEOUT)
    redis.received.clear()
    await subscription.get_messages(timeout=0.05)  # connects again
    await until(lambda: redis.connections == 2 and b"SSUBSCRIBE" in redis.received)
    assert b"chatroom:events" in redis.received and b"{#a}" in redis.received
    assert b"chatroom:proc:me" not in redis.received  # unsubscribed before
    await subscription.aclose()
