"""The compact wire form over a real Redis: an event published twice (a retried
write) is applied once, a new number from the same process is applied, garbage
costs a log line; a JOIN without channel state has it read from Redis; a room
nobody else is in is not published until someone joins. The wire form itself is
tested in tests/cluster/test_events.py."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import msgpack
import redis

from chatroom.cluster import channels
from chatroom.cluster.events import decode, encode, split
from chatroom.cluster.keys import EVENTS, channel_events_key, inbox_key
from chatroom.protocol.line import Line
from chatroom.server.network.events import ChannelLine, ChannelMessage, Join
from chatroom.server.network.state import ChannelState
from chatroom.server.outgoing import format_time
from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import RunningServer, ServerFactory, cluster_member
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
    shard.ssubscribe(channel_events_key("#solo"))
    assert shard.get_message(timeout=TIMEOUT)["type"] == "ssubscribe"
    # With one other process in the room, its messages go to that process's inbox.
    shard.subscribe(inbox_key("elsewhere:3:abcdef"))
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
            for envelope in split(message["data"]):  # the two may share a publish
                _origin, _seq, event = decode(envelope)
                assert isinstance(event, ChannelMessage)
                texts.append(event.line.params[1])
    assert texts == ["after 1", "after 2"]
    alice.send("PRIVMSG #solo :now published at once")
    message = shard.get_message(timeout=TIMEOUT)
    assert message is not None and b"now published at once" in message["data"]
    shard.close()
    store.close()
    alice.close()


def test_a_process_of_another_wire_version_is_named_once_in_the_log(
    server_factory: ServerFactory, shared_redis: RedisServer
) -> None:
    """Processes of wire versions 1 and 2 cannot read each other: a process says so
    once per process, from the other's heartbeat (it holds its version) or its
    first event, and goes on for everything else."""
    store = redis.Redis.from_url(shared_redis.url)
    store.set("{chatroom}:alive:old:1:abcdef", "1", ex=30)  # version 1's heartbeat
    server = cluster_member(server_factory, shared_redis.url)
    said = "Process old:1:abcdef speaks version 1 of the network's events, this one 2:"
    server.wait_for_log(said)
    older = ["msg", "older:2:abcdef", 1, "#v", ["PRIVMSG", ["#v", "hi"], "a!u@h", {}, None]]
    for seq in (1, 2):
        older[2] = seq
        store.publish(EVENTS, msgpack.packb(older))
    alice = IrcClient(server.port).register("ver_alice")
    server.wait_for_log(r"Process older:2:abcdef speaks version 1")
    alice.send("PING sync")
    alice.expect("PONG")
    assert server.log.count("older:2:abcdef speaks") == 1
    assert "Ignored a bad message" not in server.log
    assert store.get(f"{{chatroom}}:alive:{_own_process(store, server)}") == b"2"
    store.delete("{chatroom}:alive:old:1:abcdef")
    store.close()
    alice.close()


def test_events_of_a_process_that_speaks_another_version_are_not_applied(
    server_factory: ServerFactory, shared_redis: RedisServer
) -> None:
    """A later version could reuse this one's codes with another meaning: once its
    heartbeat says so, its events are dropped even when they happen to decode."""
    store = redis.Redis.from_url(shared_redis.url)
    store.set("{chatroom}:alive:newer:3:abcdef0123", "3", ex=30)
    server = cluster_member(server_factory, shared_redis.url)
    server.wait_for_log("Process newer:3:abcdef0123 speaks version 3")
    alice = IrcClient(server.port).register("ver3_alice")
    alice.join("#vthree")

    def said(origin: str, text: str) -> bytes:
        line = Line("PRIVMSG", ("#vthree", text), "far!u@h", {"msgid": f"{origin}-{text}"})
        return encode(origin, 1, ChannelMessage("#vthree", line))

    key = channel_events_key("#vthree")
    deadline = time.monotonic() + TIMEOUT
    while not store.execute_command("PUBSUB", "SHARDNUMSUB", key)[1]:
        assert time.monotonic() < deadline, "the process never subscribed to #vthree"
        time.sleep(0.05)
    store.execute_command("SPUBLISH", key, said("newer:3:abcdef0123", "from v3"))
    store.execute_command("SPUBLISH", key, said("same:2:0123abcdef", "from v2"))
    got = alice.expect("PRIVMSG")  # in publish order on one channel: v3's would come first
    assert got.params[1] == "from v2"
    store.delete("{chatroom}:alive:newer:3:abcdef0123")
    store.close()
    alice.close()


def test_the_process_id_ends_with_the_msgid_prefix(
    server_factory: ServerFactory, shared_redis: RedisServer
) -> None:
    """The random part of a process id is the start of its msgids: a receiver reads
    a msgid of its origin as a counter, and the inbox is named by it."""
    server = cluster_member(server_factory, shared_redis.url)
    store = redis.Redis.from_url(shared_redis.url)
    process = _own_process(store, server)
    _host, _pid, prefix = process.split(":")
    assert len(prefix) == 10 and inbox_key(process) == f"chatroom:proc:{prefix}"
    alice = IrcClient(server.port).register("pid_alice", caps="message-tags echo-message")
    alice.join("#pid")
    alice.send("PRIVMSG #pid :hi")
    msgid = alice.expect("PRIVMSG").tags["msgid"]
    assert msgid.startswith(prefix) and int(msgid[len(prefix) :], 16) > 0
    store.close()
    alice.close()


def _own_process(store: redis.Redis, server: RunningServer) -> str:
    """The process id of ``server``, as its heartbeat key in Redis names it."""
    found = [
        key.decode().removeprefix("{chatroom}:alive:")
        for key in store.scan_iter("{chatroom}:alive:*")
        if key.decode().split(":")[-2:-1] == [str(server.proc.pid)]
    ]
    assert len(found) == 1, found
    return found[0]
