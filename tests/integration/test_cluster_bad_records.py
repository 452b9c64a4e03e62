"""A corrupted record in Redis costs one command, never the process's link to Redis.

Redis answering a script with an error is no outage: before the scripts checked
what they decode, one bad user record failed every later batch of the writer
(the same departures replayed at the head of each), and the process announced a
split that never healed.
"""

from __future__ import annotations

import redis as redis_py

from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member


def test_a_corrupted_user_record_does_not_stop_the_writer(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    first = cluster_member(server_factory, redis.url)
    second = cluster_member(server_factory, redis.url)
    store = redis_py.Redis.from_url(redis.url, decode_responses=True)
    try:
        alice = IrcClient(first.port).register("alice")
        carol = IrcClient(first.port).register("carol")
        bob = IrcClient(second.port).register("bob")
        for user in (alice, carol, bob):
            user.join("#room")
        store.hset("{chatroom}:users", "alice", "{not json")
        alice.send("QUIT :bye")
        alice.closed()
        bob.expect("QUIT", lambda line: line.source.startswith("alice!"))
        # Later events still go out, each once, and nobody is told of a split.
        for i in range(3):
            carol.send(f"PRIVMSG #room :still here {i}")
        got = bob.until("PRIVMSG", lambda line: line.params[1] == "still here 2")
        texts = [line.params[1] for line in got if line.command == "PRIVMSG"]
        assert texts == [f"still here {i}" for i in range(3)]
        assert not [line for line in got if line.command == "NOTICE"], got
        assert "Lost Redis" not in first.log
    finally:
        store.close()
