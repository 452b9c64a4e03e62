"""A long outage does not flood the users who stayed connected: catch-up replays at
most the 200 most recent messages per channel and says how many more CHATHISTORY
can fetch."""

from __future__ import annotations

from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member


def test_catch_up_keeps_the_most_recent_and_says_what_it_left_out(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    first = cluster_member(server_factory, redis.url)
    second = cluster_member(server_factory, redis.url)
    alice = IrcClient(first.port).register("alice")
    bob = IrcClient(second.port).register("bob")
    for user in (alice, bob):
        user.join("#room")
    alice.collect(0.3)
    bob.collect(0.3)
    redis.pause()
    bob.expect("NOTICE", lambda line: "network is split" in line.params[-1])
    for i in range(205):
        alice.send(f"PRIVMSG #room :gap {i}")
    alice.send("PING :sent")
    alice.expect("PONG")
    redis.resume()

    got = bob.until("NOTICE", lambda line: "whole again" in line.params[-1])
    texts = [line.params[1] for line in got if line.command == "PRIVMSG"]
    assert texts == [f"gap {i}" for i in range(5, 205)]
    told = [line.params[1] for line in got if line.command == "NOTICE"]
    assert any("5 older messages with #room" in text and "CHATHISTORY" in text for text in told)
    assert "200 messages" in got[-1].params[1]
