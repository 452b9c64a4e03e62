"""A subscription whose connection dies without an error (a NAT or firewall dropping
it silently) is noticed: the process pings itself through Redis every heartbeat,
and when its reader stops hearing the pings it connects again and catches up."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from support.irc_client import IrcClient
from support.redis import RedisServer
from support.relayed_pair import relayed_beside_steady
from support.server import ServerFactory, cluster_member
from support.tcp_proxy import Relay
from support.timeouts import SLOWDOWN, TIMEOUT


@pytest.fixture
def relay(redis: RedisServer) -> Iterator[Relay]:
    relay = Relay(redis.port)
    yield relay
    relay.close()


def test_a_silently_dead_subscription_is_noticed_and_caught_up(
    server_factory: ServerFactory, redis: RedisServer, relay: Relay
) -> None:
    deaf, _steady, alice, bob = relayed_beside_steady(server_factory, redis, relay)
    relay.mute_subscriptions()
    bob.send("PRIVMSG #room :said while you were deaf")
    deaf.wait_for_log("heard nothing", timeout=TIMEOUT + 10)
    got = alice.until("PRIVMSG", timeout=TIMEOUT + 10)
    assert got[-1].params[1] == "said while you were deaf"


def test_a_subscription_deaf_again_after_connecting_again_is_cut_again(
    server_factory: ServerFactory, redis: RedisServer, relay: Relay
) -> None:
    """The connection made after the first deafness is as silent, before Redis even
    confirms the subscription: it is cut again (not waited on for ever), and the one
    after it, which hears, catches up."""
    deaf, _steady, alice, bob = relayed_beside_steady(server_factory, redis, relay)
    relay.mute_new_subscriptions()
    relay.mute_subscriptions()
    bob.send("PRIVMSG #room :said while you were deaf twice")
    deaf.wait_for_log("heard nothing", timeout=TIMEOUT + 10)
    deadline = time.monotonic() + TIMEOUT + 15
    while deaf.log.count("heard nothing") < 2:
        assert time.monotonic() < deadline, f"cut only once:\n{deaf.log}"
        time.sleep(0.1)
    relay.mute_new_subscriptions(False)
    got = alice.until("PRIVMSG", timeout=TIMEOUT + 15)
    assert got[-1].params[1] == "said while you were deaf twice"


def test_a_redis_that_stops_answering_does_not_hold_registrations(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    relay = Relay(redis.port)
    try:
        server = cluster_member(server_factory, relay.url)
        IrcClient(server.port).register("alice")
        relay.black_hole()
        server.wait_for_log("Lost Redis", timeout=TIMEOUT + 15)  # a read times out
        # From then on nicks are checked here at once, without waiting for Redis.
        started = time.monotonic()
        IrcClient(server.port).register("carol")
        assert time.monotonic() - started < 2 * SLOWDOWN
    finally:
        relay.close()
