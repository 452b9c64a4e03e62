"""Two processes of one network, one of them reaching Redis through a TCP relay the
test can cut or mute (support.tcp_proxy), with a user on each in one channel."""

from __future__ import annotations

from typing import NamedTuple

from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import RunningServer, ServerFactory, cluster_member
from support.tcp_proxy import Relay


class RelayedPair(NamedTuple):
    relayed: RunningServer  # reaches Redis through the relay
    steady: RunningServer  # reaches it directly
    alice: IrcClient  # on the relayed process
    bob: IrcClient  # on the steady one


def relayed_beside_steady(
    factory: ServerFactory, redis: RedisServer, relay: Relay, channel: str = "#room"
) -> RelayedPair:
    """alice on the relayed process and bob on the steady one, both in ``channel``,
    once alice's process has heard bob's JOIN (the two know each other)."""
    relayed = cluster_member(factory, relay.url)
    steady = cluster_member(factory, redis.url)
    alice = IrcClient(relayed.port).register("alice")
    bob = IrcClient(steady.port).register("bob")
    for user in (alice, bob):
        user.join(channel)
    alice.expect("JOIN", lambda line: line.source.startswith("bob!"))
    return RelayedPair(relayed, steady, alice, bob)
