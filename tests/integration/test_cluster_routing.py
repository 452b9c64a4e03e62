"""Interest-based routing: a channel's messages reach only the processes with
members there, on a shard channel of their own, and a first JOIN loses nothing."""

from __future__ import annotations

import time

import msgpack
import redis

from chatroom.cluster.keys import channel_events_key
from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import RunningServer, ServerFactory, cluster_member
from support.timeouts import TIMEOUT


def _subscribers(client: redis.Redis, channel: str) -> int:
    _name, count = client.execute_command("PUBSUB", "SHARDNUMSUB", channel_events_key(channel))
    return int(count)


def _wait_subscribers(client: redis.Redis, channel: str, wanted: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while (seen := _subscribers(client, channel)) != wanted:
        assert time.monotonic() < deadline, f"{seen} subscribers to {channel}, not {wanted}"
        time.sleep(0.05)


def test_channel_messages_reach_only_processes_with_members(
    pair: tuple[RunningServer, RunningServer], shared_redis: RedisServer
) -> None:
    first, second = pair
    client = redis.Redis.from_url(shared_redis.url)
    network = client.pubsub()
    network.subscribe("chatroom:events")
    alice = IrcClient(first.port).register("rt_alice")
    alice.join("#routed")
    _wait_subscribers(client, "#routed", 1)  # the first process only
    bob = IrcClient(second.port).register("rt_bob")
    bob.join("#routed")
    _wait_subscribers(client, "#routed", 2)
    alice.send("PRIVMSG #routed :through the shard channel")
    assert bob.expect("PRIVMSG").params[1] == "through the shard channel"
    bob.send("PART #routed")
    alice.expect("PART")
    _wait_subscribers(client, "#routed", 1)
    bob.send("PING sync")
    bob.expect("PONG")
    kinds = []
    while (message := network.get_message(timeout=0.2)) is not None:
        if message["type"] == "message":
            kinds.append(msgpack.unpackb(message["data"]))
    assert kinds and "msg" not in {k[0] for k in kinds}  # none network-wide
    network.close()
    client.close()
    alice.close()
    bob.close()


def test_a_first_join_misses_no_message(pair: tuple[RunningServer, RunningServer]) -> None:
    """bob joins while alice talks without pause: from the first message bob gets,
    he gets every later one, once. (This end-to-end check rarely hits the gap on a
    loopback Redis; tests/cluster/test_interest.py covers the catch-up itself.)"""
    first, second = pair
    alice = IrcClient(first.port).register("gap_alice", "echo-message")
    alice.join("#gap")
    bob = IrcClient(second.port).register("gap_bob")
    sent = 0
    for sent in range(20):
        alice.send(f"PRIVMSG #gap :{sent}")
    bob.send("JOIN #gap")
    for sent in range(20, 200):
        alice.send(f"PRIVMSG #gap :{sent}")
    alice.send("PRIVMSG #gap :end")
    got: list[int] = []
    while (line := bob.expect("PRIVMSG")).params[1] != "end":
        got.append(int(line.params[1]))
    time.sleep(0.3)  # the catch-up may deliver after later live ones
    got += [int(line.params[1]) for line in bob.collect(0.3) if line.command == "PRIVMSG"]
    assert got, "bob heard nothing"
    assert sorted(got) == list(range(min(got), sent + 1)), "a message was lost or doubled"
    alice.close()
    bob.close()


def test_a_message_for_one_other_process_goes_to_its_inbox_not_back_to_us(
    pair: tuple[RunningServer, RunningServer],
    shared_redis: RedisServer,
    server_factory: ServerFactory,
) -> None:
    first, second = pair
    client = redis.Redis.from_url(shared_redis.url)
    spy = client.pubsub()
    spy.ssubscribe(channel_events_key("#inbox"))
    assert spy.get_message(timeout=TIMEOUT)["type"] == "ssubscribe"
    alice = IrcClient(first.port).register("ib_alice")
    bob = IrcClient(second.port).register("ib_bob")
    for user in (alice, bob):
        user.join("#inbox")
    alice.expect("JOIN", lambda line: line.source.startswith("ib_bob!"))
    alice.send("PRIVMSG #inbox :to one process")
    assert bob.expect("PRIVMSG").params[1] == "to one process"
    assert spy.get_message(timeout=0.3) is None  # not on the channel: nobody hears it back
    # A third process in the room: one publish on the channel reaches both others.
    carol = IrcClient(cluster_member(server_factory, shared_redis.url).port).register("ib_carol")
    carol.join("#inbox")
    alice.expect("JOIN", lambda line: line.source.startswith("ib_carol!"))
    alice.send("PRIVMSG #inbox :to two processes")
    assert bob.expect("PRIVMSG").params[1] == "to two processes"
    assert carol.expect("PRIVMSG").params[1] == "to two processes"
    message = spy.get_message(timeout=TIMEOUT)
    assert message is not None and message["type"] == "smessage"
    spy.close()
    client.close()
    for user in (alice, bob, carol):
        user.close()
