"""A nick that changes hands while one process is cut off from Redis.

Three processes: the lonely one is cut off long enough that the others declare it
dead; meanwhile its user quits there and takes the same nick on another process,
and a second nick is given out on both sides (and messaged privately). When the
lonely process comes back, what it replays (the quit), how it settles the clash
(renaming its own user) and what it catches up on must touch only its own users:
the third process keeps seeing the new holders.
"""

from __future__ import annotations

import json

import redis as redis_py

from support.irc_client import IrcClient, names
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member
from support.tcp_proxy import Relay
from support.timeouts import eventually


def test_what_a_process_replays_after_a_split_spares_the_new_holders(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    relay = Relay(redis.port)
    store = redis_py.Redis.from_url(redis.url, decode_responses=True)
    try:
        lonely = cluster_member(server_factory, relay.url)
        other = cluster_member(server_factory, redis.url)
        third = cluster_member(server_factory, redis.url)
        alice = IrcClient(lonely.port).register("alice")
        alice.join("#room")
        bob = IrcClient(third.port).register("bob")
        bob.join("#room")
        eventually(lambda: names(bob, "#room") == {"alice", "bob"}, lambda: third.log)

        # Cut off past its heartbeat: the others declare the lonely process dead.
        relay.cut()
        bob.expect("QUIT", lambda line: line.source.startswith("alice!"))
        other.wait_for_log("went away")
        alice.send("QUIT :moving")
        alice.closed()
        twin_lonely = IrcClient(lonely.port).register("twin")  # checked there only
        alice_again = IrcClient(other.port).register("alice")
        alice_again.join("#room")
        twin = IrcClient(other.port).register("twin")
        twin.join("#room")
        eventually(lambda: names(bob, "#room") == {"alice", "bob", "twin"}, lambda: third.log)
        bob.collect(0.2)
        bob.send("PRIVMSG twin :for the twin on the other side only")
        twin.expect("PRIVMSG")

        relay.restore()
        # The lonely process loses the clash (the nick was claimed in Redis) and
        # renames its own twin; it replays alice's quit and publishes its users.
        guest = twin_lonely.expect("NICK").params[0]
        assert guest.startswith("Guest")

        lonely.wait_for_log("Redis is back")  # logged once its users are published
        twin_lonely.send("PRIVMSG bob :after the rename")  # behind all of it, in order
        seen = bob.until("PRIVMSG")
        # Neither the replayed quit nor the rename touched the holders on `other`.
        assert not [line for line in seen if line.command in ("QUIT", "NICK")], seen
        assert names(bob, "#room") == {"alice", "bob", "twin"}
        bob.send("PRIVMSG twin :still you")
        twin.expect("PRIVMSG", lambda line: line.params[1] == "still you")
        bob.send("PRIVMSG alice :still you too")
        alice_again.expect("PRIVMSG", lambda line: line.params[1] == "still you too")
        # The renamed twin is not handed what was said to the other one meanwhile.
        got = twin_lonely.until("NOTICE", lambda line: "whole again" in line.params[-1])
        got += twin_lonely.collect(0.5)
        assert not [line for line in got if line.command == "PRIVMSG"], got
        # ...nor their records in Redis (what a starting process reads).
        records = {
            nick: json.loads(store.hget("{chatroom}:users", nick) or "{}")
            for nick in ("alice", "twin")
        }
        assert records["alice"].get("p") == records["twin"].get("p") is not None
        assert "alice" in store.hgetall("{chatroom}:members:#room")
    finally:
        store.close()
        relay.close()
