"""A loop turn's messages to one room go to Redis as one publish (several envelopes
back to back) and reach the other process whole and in order."""

from __future__ import annotations

import redis

from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import RunningServer


def _publishes(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("publish", "spublish"))


def test_a_burst_in_one_room_crosses_as_few_publishes_in_order(
    pair: tuple[RunningServer, RunningServer], shared_redis: RedisServer
) -> None:
    first, second = pair
    client = redis.Redis.from_url(shared_redis.url)
    alice = IrcClient(first.port).register("bn_alice")
    alice.join("#bundled")
    bob = IrcClient(second.port).register("bn_bob")
    bob.join("#bundled")
    alice.expect("JOIN", lambda line: line.source.startswith("bn_bob!"))
    alice.send("PRIVMSG #bundled :warm-up")  # the route to bob's process is known
    assert bob.expect("PRIVMSG").params[1] == "warm-up"
    before = _publishes(client)
    texts = [f"line {n:02d} of the burst" for n in range(30)]
    # One write: the server reads the 30 lines in one or two loop turns.
    alice.send_raw(b"".join(b"PRIVMSG #bundled :%s\r\n" % t.encode() for t in texts))
    got = [bob.expect("PRIVMSG").params[1] for _ in texts]
    assert got == texts
    # One publish per message would be 30 (a heartbeat may add one or two).
    assert _publishes(client) - before < 10
    client.close()
    alice.close()
    bob.close()
