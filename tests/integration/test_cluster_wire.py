"""The compact wire form over a real Redis: an event published twice (a retried
write) is applied once, a new number from the same process is applied, garbage
costs a log line; a JOIN without channel state has it read from Redis; a room
nobody else is in is not published until someone joins. The wire form itself is
tested in tests/cluster/test_events.py."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import redis

from chatroom.cluster import channels
from chatroom.cluster.events import decode, encode
from chatroom.protocol.line import Line
from chatroom.server.network.events import ChannelLine, ChannelMessage, Join
from chatroom.server.network.state import ChannelState
from chatroom.server.outgoing import format_time
from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member
from support.timeouts import TIMEOUT


def test_an_event_published_twice_is_shown_once(
    server_factory: ServerFactory, shared_redis: RedisServer
) -> None:
    server = cluster_member(server_factory, shared_redis.url)
    alice = IrcClient(server.port).register("seq_alice")
    alice.join("#seq")
    store = redis.Redis.from_url(shared_redis.url)

    def topic(seq: int, text: str) -> bytes:
        line = Line("TOPIC", ("#seq", text), "op!u@elsewhere")
        return encode("elsewhere:1:abcdef", seq, ChannelLine("#seq", line))

    first = topic(5, "first")
    store.publish("chatroom:events", first)
    store.publish("chatroom:events", first)  # the same write, retried
    store.publish("chatroom:events", b"\x93\xa3not ours")  # garbage: a log line
    store.publish("chatroom:events", topic(6, "second"))
    assert alice.expect("TOPIC").params[1] == "first"
    assert alice.expect("TOPIC").params[1] == "second"  # not "first" again
    alice.send("PING sync")
    assert [line.command for line in alice.until("PONG")] == ["PONG"]
    server.wait_for_log("Ignored a bad message")
    store.close()
    alice.close()


def test_a_join_of_a_channel_unknown_here_reads_its_state_from_redis(
    server_factory: ServerFactory, shared_redis: RedisServer
) -> None:
    """The JOIN event carries no state: the process makes its copy of the channel
    from the state in Redis (as the joiner's process writes it before publishing)."""
    server = cluster_member(server_factory, shared_redis.url)
    store = redis.Redis.from_url(shared_redis.url)
    state = ChannelState("#Faraway", 1_700_000_000, "nt", topic="kept in redis")
    store.set("{chatroom}:channel:#faraway", channels.dump(state))
    line = Line("JOIN", ("#Faraway",), "far!u@elsewhere")
    join = Join("#faraway", "far", "far!u@elsewhere", "o", "*", "Far", line, state)
    store.publish("chatroom:events", encode("elsewhere:2:abcdef", 1, join))
    bob = IrcClient(server.port).register("wire_bob")
    bob.send("WHOIS far")  # known here once the JOIN event is applied
    assert "311" in {line.command for line in bob.until("318")}
    bob.send("JOIN #Faraway")
    replies = {line.command: line for line in bob.until("366")}
    assert replies["332"].params[-1] == "kept in redis"
    assert "far" in replies["353"].params[-1].lower()
    store.close()
    bob.close()


def test_a_room_nobody_else_is_in_costs_redis_nothing_until_someone_joins(
    server_factory: ServerFactory, shared_redis: RedisServer
) -> None:
    """alice is alone in #solo: her messages are not published. When a JOIN from
    another process arrives, those she sent since its time are published after all
    (its process subscribed before publishing the JOIN), the older ones never."""
    server = cluster_member(server_factory, shared_redis.url)
    store = redis.Redis.from_url(shared_redis.url)
    shard = store.pubsub()
    shard.ssubscribe("chatroom:chan:{#solo}")
    assert shard.get_message(timeout=TIMEOUT)["type"] == "ssubscribe"
    # With one other process in the room, its messages go to that process's inbox.
    shard.subscribe("chatroom:proc:elsewhere:3:abcdef")
    assert shard.get_message(timeout=TIMEOUT)["type"] == "subscribe"
    alice = IrcClient(server.port).register("solo_alice")
    alice.join("#solo")
    alice.send("PRIVMSG #solo :before the join")
    alice.send("PING sync")
    alice.expect("PONG")
    time.sleep(0.05)
    joined_at = format_time(datetime.now(UTC))
    time.sleep(0.05)
    for text in ("after 1", "after 2"):
        alice.send(f"PRIVMSG #solo :{text}")
    alice.send("PING sync")
    alice.expect("PONG")
    assert shard.get_message(timeout=0.3) is None  # nothing crossed Redis
    line = Line("JOIN", ("#solo",), "far!u@elsewhere", {"time": joined_at})
    join = Join("#solo", "far", "far!u@elsewhere", "", "*", "Far", line)
    store.publish("chatroom:events", encode("elsewhere:3:abcdef", 1, join))
    texts = []
    while len(texts) < 2:
        message = shard.get_message(timeout=TIMEOUT)
        assert message is not None, f"only {texts} were published"
        if message["type"] in ("smessage", "message"):
            _origin, _seq, event = decode(message["data"])
            assert isinstance(event, ChannelMessage)
            texts.append(event.line.params[1])
    assert texts == ["after 1", "after 2"]
    alice.send("PRIVMSG #solo :now published at once")
    message = shard.get_message(timeout=TIMEOUT)
    assert message is not None and b"now published at once" in message["data"]
    shard.close()
    store.close()
    alice.close()
