"""Short or repeated Redis outages stay cheap and quiet: a process that lost Redis
without failing to publish anything asks nobody to catch up, and a Redis that
flaps does not flood users with split and heal notices."""

from __future__ import annotations

from support.irc_client import IrcClient
from support.redis import RedisServer
from support.relayed_pair import relayed_beside_steady
from support.server import ServerFactory, cluster_member
from support.tcp_proxy import Relay


def test_a_quiet_blip_makes_nobody_catch_up(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    relay = Relay(redis.port)
    try:
        lonely, steady, alice, bob = relayed_beside_steady(server_factory, redis, relay)
        relay.cut()
        lonely.wait_for_log("Lost Redis")
        relay.restore()
        lonely.wait_for_log("Redis is back")
        lonely.wait_for_log("Redis is back(.|\n)*after losing Redis")  # healed: a Resync is sent
        # Something published after the heal reaches the steady process after any
        # Resync the heal would have sent.
        alice.send("PRIVMSG bob :after the blip")
        bob.expect("PRIVMSG")
        bob.collect(0.5)  # a catch-up would run beside live delivery: give it time to log
        assert "lost Redis" not in steady.log
    finally:
        relay.close()


def test_a_flapping_redis_is_announced_once_a_minute(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    server = cluster_member(server_factory, redis.url)
    alice = IrcClient(server.port).register("alice")
    redis.pause()
    alice.expect("NOTICE", lambda line: "network is split" in line.params[-1])
    redis.resume()
    alice.expect("NOTICE", lambda line: "whole again" in line.params[-1])
    # Down again at once, for longer than it takes to announce a split: not told.
    redis.pause()
    server.wait_for_log("(?s)whole again.*Lost Redis|Lost Redis(.|\n)*Lost Redis")
    told = alice.collect(3.0)
    redis.resume()
    server.wait_for_log("(?s)Redis is back.*Redis is back")
    told += alice.collect(1.0)
    assert not [line for line in told if line.command == "NOTICE"], told
