"""A channel change made while one process was cut off from Redis (a topic here)
reaches the others when it is back: the latest state of each channel is kept and
replayed with the departures."""

from __future__ import annotations

import time

from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member
from support.tcp_proxy import Relay
from support.timeouts import TIMEOUT


def test_a_topic_set_during_a_split_reaches_the_others_after_it(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    relay = Relay(redis.port)
    try:
        lonely = cluster_member(server_factory, relay.url)
        steady = cluster_member(server_factory, redis.url)
        alice = IrcClient(lonely.port).register("alice")
        alice.join("#room")  # first in: its operator
        bob = IrcClient(steady.port).register("bob")
        bob.join("#room")
        relay.cut()
        alice.send("TOPIC #room :set while split")
        alice.expect("TOPIC")
        lonely.wait_for_log("Lost Redis")
        relay.restore()
        lonely.wait_for_log("Redis is back")

        def topic() -> str:
            bob.send("TOPIC #room")
            reply = bob.until_any(("331", "332"))[-1]
            return reply.params[-1] if reply.command == "332" else ""

        deadline = time.monotonic() + TIMEOUT
        while topic() != "set while split":
            assert time.monotonic() < deadline, (lonely.log, steady.log)
            time.sleep(0.1)
    finally:
        relay.close()
