"""Three processes on one Redis, nick races, and Redis restarting with empty memory."""

from __future__ import annotations

import time

from chatroom.storage.passwords import hash_password
from support.irc_client import IrcClient, names
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member
from support.timeouts import TIMEOUT, eventually

OPERATOR = f'[[operators]]\nname = "op"\npassword = "{hash_password("pw")}"\n'


def _stats(client: IrcClient) -> list[tuple[str, int, bool]]:
    """``(process, users, this process?)`` from ``STATS N``."""
    client.send("STATS N")
    rows = []
    for line in client.until("219"):
        if line.command == "249":
            process, users, *_ = line.params[1].split()
            rows.append((process, int(users), line.params[1].endswith("(this process)")))
    return rows


def test_three_processes_are_one_network(server_factory: ServerFactory, redis: RedisServer) -> None:
    servers = [cluster_member(server_factory, redis.url, config=OPERATOR) for _ in range(3)]
    users = [IrcClient(s.port).register(f"three{i}") for i, s in enumerate(servers)]
    for user in users:
        user.join("#three")
    eventually(
        lambda: names(users[0], "#three") == {"three0", "three1", "three2"},
        lambda: names(users[0], "#three"),
    )
    for i, sender in enumerate(users):
        sender.send(f"PRIVMSG #three :from {i}")
        for j, receiver in enumerate(users):
            if j != i:
                got = receiver.expect("PRIVMSG")
                assert got.params[1] == f"from {i}", (j, got.source)
                assert got.source.startswith(f"three{i}!")
    # The status command: every process, this one first, one user each.
    users[1].send("OPER op pw")
    users[1].expect("381")
    eventually(lambda: [r[1] for r in _stats(users[1])] == [1, 1, 1], lambda: _stats(users[1]))
    rows = _stats(users[1])
    assert [r[2] for r in rows] == [True, False, False]
    assert len({r[0] for r in rows}) == 3
    servers[2].wait_for_log(r"Network: 3 processes")


def test_nick_race_has_one_winner(server_factory: ServerFactory, redis: RedisServer) -> None:
    first, second = (
        cluster_member(server_factory, redis.url, config=OPERATOR),
        cluster_member(server_factory, redis.url, config=OPERATOR),
    )
    left = IrcClient(first.port).register("racer_a")
    right = IrcClient(second.port).register("racer_b")
    for round_ in range(6):
        wanted = f"prize{round_}"
        # Both lines leave back to back: the two processes claim at the same instant.
        left.send(f"NICK {wanted}")
        right.send(f"NICK {wanted}")
        outcomes = [c.until_any(("NICK", "433"))[-1].command for c in (left, right)]
        assert sorted(outcomes) == ["433", "NICK"], f"round {round_}: {outcomes}"
        winner = left if outcomes[0] == "NICK" else right
        # The winner gives the nick back (and takes a fresh one) for the next round.
        winner.send(f"NICK spare{round_}{'a' if winner is left else 'b'}")
        winner.expect("NICK")


def test_redis_restarting_empty_is_survived(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    first, second = (
        cluster_member(server_factory, redis.url, config=OPERATOR),
        cluster_member(server_factory, redis.url, config=OPERATOR),
    )
    alice = IrcClient(first.port).register("alice")
    carol = IrcClient(first.port).register("carol")
    bob = IrcClient(second.port).register("bob")
    for user in (alice, carol, bob):
        user.join("#room")
    eventually(
        lambda: names(bob, "#room") == {"alice", "bob", "carol"}, lambda: names(bob, "#room")
    )

    bob.collect(0.5)  # JOINs that crossed late
    bob.backlog.clear()
    redis.pause()
    first.wait_for_log("Lost Redis")
    # Local users keep chatting while Redis is away.
    alice.send("PRIVMSG #room :while redis is away")
    assert carol.expect("PRIVMSG").params[1] == "while redis is away"
    redis.resume()  # empty: no heartbeats, nicks, users or members
    first.wait_for_log("publishing its users again")
    second.wait_for_log("publishing its users again")

    # Messages cross again (one sent before the subscription came back is caught up
    # from the shared history: tests/integration/test_cluster_outage.py).
    deadline = time.monotonic() + TIMEOUT
    for attempt in range(100):
        alice.send(f"PRIVMSG #room :after {attempt}")
        got = [line for line in bob.collect(0.3) if line.command == "PRIVMSG"]
        if got:
            break
        assert time.monotonic() < deadline, "no message crossed after the restart"
    assert all("after" in line.params[1] or "away" in line.params[1] for line in got)
    # Nobody was declared dead meanwhile, and a JOIN was not shown twice.
    seen = bob.backlog + bob.collect(0.5)
    assert not [line for line in seen if line.command in ("QUIT", "JOIN")]

    # The network formed again in Redis: a new process learns who is where from it,
    # and the nicks are claimed again.
    third = cluster_member(server_factory, redis.url, config=OPERATOR)
    dave = IrcClient(third.port).register("dave")
    dave.join("#room")
    eventually(
        lambda: names(dave, "#room") == {"alice", "bob", "carol", "dave"},
        lambda: (names(dave, "#room"), first.log, third.log),
    )
    dave.send("NICK alice")
    dave.expect("433")
    dave.send("PRIVMSG #room :hello from the new one")
    assert bob.expect("PRIVMSG").params[1] == "hello from the new one"
    assert alice.expect("PRIVMSG", lambda line: "new one" in line.params[1])
