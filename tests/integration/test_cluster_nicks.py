"""Nick claims in Redis: held without expiry, so the heartbeat costs the same
whatever the number of users, and given back when the user leaves."""

from __future__ import annotations

import time

import redis as redis_py

from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member
from support.timeouts import TIMEOUT


def _scripts_run(client: redis_py.Redis) -> int:
    stats = client.info("commandstats")
    return sum(
        int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("eval", "evalsha")
    )


def test_the_heartbeat_does_not_touch_nick_claims(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    server = cluster_member(server_factory, redis.url)
    users = [IrcClient(server.port).register(f"many{i}") for i in range(20)]
    store = redis_py.Redis.from_url(redis.url, decode_responses=True)
    try:
        owner = store.get("{chatroom}:nick:many0")
        assert owner is not None
        assert store.ttl("{chatroom}:nick:many0") == -1  # no expiry: nothing to refresh
        assert "{chatroom}:nick:many7" in store.smembers(f"{{chatroom}}:owned:{owner}")
        # Three heartbeats with twenty users: not one Lua script (claims are not renewed).
        before = _scripts_run(store)
        time.sleep(3.5)
        assert _scripts_run(store) == before
        assert store.ttl(f"{{chatroom}}:alive:{owner}") > 0
        # A user leaving gives its nick back, and leaves the owned set.
        users[7].send("QUIT")
        users[7].closed()
        deadline = time.monotonic() + 5
        while store.exists("{chatroom}:nick:many7") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not store.exists("{chatroom}:nick:many7")
        assert "{chatroom}:nick:many7" not in store.smembers(f"{{chatroom}}:owned:{owner}")
    finally:
        store.close()


def test_a_nick_listed_as_ours_without_a_user_is_given_back(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    server = cluster_member(server_factory, redis.url)
    alice = IrcClient(server.port).register("alice")
    store = redis_py.Redis.from_url(redis.url, decode_responses=True)
    try:
        owner = store.get("{chatroom}:nick:alice")
        assert owner is not None
        # A release that never happened (a bug, say): the nick would stay taken.
        store.set("{chatroom}:nick:ghost", owner)
        store.sadd(f"{{chatroom}}:owned:{owner}", "{chatroom}:nick:ghost")
        deadline = time.monotonic() + TIMEOUT + 10
        while store.exists("{chatroom}:nick:ghost"):
            assert time.monotonic() < deadline, server.log
            time.sleep(0.2)
        assert "{chatroom}:nick:ghost" not in store.smembers(f"{{chatroom}}:owned:{owner}")
        assert store.get("{chatroom}:nick:alice") == owner  # a user here keeps its nick
        alice.send("QUIT")
    finally:
        store.close()
