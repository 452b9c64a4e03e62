"""Losing Redis while running: catch-up from the shared history, the split and heal
notices, and a nick given out twice while the network was split.

The processes of one test share the data directory, so the SQLite history files too
(as ``--workers`` does): what one stores, the others can read back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import irctokens
import pytest

from support.irc_client import IrcClient, names
from support.postgres import running_postgres
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member
from support.tcp_proxy import Relay
from support.timeouts import TIMEOUT, eventually

SPLIT = "network is split"
WHOLE = "network is whole again"


def _notice(text: str) -> Callable[[irctokens.Line], bool]:
    return lambda line: text in line.params[-1]


def _chat(lines: list[irctokens.Line]) -> list[tuple[str, str]]:
    """``(target, text)`` of every PRIVMSG in ``lines``."""
    return [(line.params[0], line.params[1]) for line in lines if line.command == "PRIVMSG"]


def _msgids(lines: list[irctokens.Line]) -> list[str]:
    return [line.tags["msgid"] for line in lines if line.command == "PRIVMSG"]


def test_messages_sent_while_redis_is_away_are_caught_up(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    first, second = (
        cluster_member(server_factory, redis.url),
        cluster_member(server_factory, redis.url),
    )
    caps = "message-tags server-time"
    alice = IrcClient(first.port).register("alice", caps)
    carol = IrcClient(first.port).register("carol", caps)
    bob = IrcClient(second.port).register("bob", caps)
    for user in (alice, carol, bob):
        user.join("#room")
    eventually(
        lambda: names(bob, "#room") == {"alice", "bob", "carol"}, lambda: names(bob, "#room")
    )
    for user in (alice, carol, bob):
        user.collect(0.3)  # JOINs that crossed late

    redis.pause()
    # Everyone is told once, and keeps chatting with the users of their process.
    for user in (alice, carol, bob):
        assert user.expect("NOTICE", _notice(SPLIT)).params[0] == user.nick
    for i in range(5):
        alice.send(f"PRIVMSG #room :gap {i}")
    alice.send("PRIVMSG bob :private gap")
    bob.send("PRIVMSG #room :from bob while split")
    assert [text for _, text in _chat(carol.until("PRIVMSG", _notice("gap 4")))] == [
        f"gap {i}" for i in range(5)
    ]
    redis.resume()  # empty, like a restarted Redis

    # Each process catches up from history what the other stored, in order, once;
    # the heal notice comes after it.
    got = bob.until("NOTICE", _notice(WHOLE))
    assert _chat(got) == [*(("#room", f"gap {i}") for i in range(5)), ("bob", "private gap")], (
        second.log
    )
    assert "6 messages" in got[-1].params[1]
    got = alice.until("NOTICE", _notice(WHOLE))
    assert _chat(got) == [("#room", "from bob while split")]
    assert "1 message " in got[-1].params[1]
    carol_got = carol.until("NOTICE", _notice(WHOLE))
    assert _chat(carol_got) == [("#room", "from bob while split")]

    # Live chat across processes again: delivered once, never replayed.
    alice.send("PRIVMSG #room :after the split")
    bob.expect("PRIVMSG", _notice("after the split"))
    time.sleep(1)
    late = bob.collect(1.0) + alice.collect(0.2)
    assert not _chat(late), late
    assert not [line for line in late if line.command == "NOTICE"]  # one notice each way


def test_a_nick_given_out_twice_during_a_split_is_settled(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    first, second = (
        cluster_member(server_factory, redis.url),
        cluster_member(server_factory, redis.url),
    )
    redis.pause()
    first.wait_for_log("Lost Redis")
    second.wait_for_log("Lost Redis")
    # Nicks are checked on each process only: both get "twin".
    one = IrcClient(first.port).register("twin")
    other = IrcClient(second.port).register("twin")
    redis.resume()

    # Whoever claims it first in the restarted Redis keeps it; the other is renamed,
    # told why, and the new nick is known network-wide.
    def renamed(client: IrcClient) -> str | None:
        for line in client.collect(0.2):
            client.backlog.append(line)
        nick = next((line for line in client.backlog if line.command == "NICK"), None)
        return None if nick is None else nick.params[0]

    deadline = time.monotonic() + TIMEOUT
    while (renamed(one), renamed(other)) == (None, None):
        assert time.monotonic() < deadline, "nobody was renamed"
    loser, keeper = (one, other) if renamed(one) else (other, one)
    new = renamed(loser)
    assert new is not None and new.startswith("Guest")
    assert renamed(keeper) is None
    assert loser.expect("NICK").source.startswith("twin!")
    why = loser.expect("NOTICE", _notice("stays theirs"))
    assert why.params[0] == new
    # The keeper still has it, network-wide; the renamed user is reachable by its new nick.
    third = IrcClient(first.port).register("third")
    third.send("NICK twin")
    third.expect("433")
    keeper.send(f"PRIVMSG {new} :found you")
    eventually(
        lambda: any(line.command == "PRIVMSG" for line in loser.collect(0.2)),
        lambda: (first.log, second.log, keeper.collect(0.1)),
    )


def test_one_process_cut_off_alone_catches_up_both_ways(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    relay = Relay(redis.port)
    try:
        lonely = cluster_member(server_factory, relay.url)
        steady = cluster_member(server_factory, redis.url)
        alice = IrcClient(lonely.port).register("alice")
        bob = IrcClient(steady.port).register("bob")
        for user in (alice, bob):
            user.join("#room")
        eventually(lambda: names(bob, "#room") == {"alice", "bob"}, lambda: steady.log)
        alice.collect(0.3)

        # Only the lonely process loses Redis: its users are told, the others are not.
        relay.cut()
        assert alice.expect("NOTICE", _notice(SPLIT))
        alice.send("PRIVMSG #room :from the lonely side")
        alice.send("PRIVMSG bob :privately from the lonely side")
        bob.send("PRIVMSG #room :from the steady side")
        time.sleep(0.5)  # stored on both sides
        relay.restore()

        # The lonely process catches up on what it missed; the steady one, told
        # by the lonely one that it was away, catches up on what it stored.
        got = alice.until("NOTICE", _notice(WHOLE))
        assert _chat(got) == [("#room", "from the steady side")]
        seen: list[irctokens.Line] = []

        def two_arrived() -> bool:
            seen.extend(bob.collect(0.2))
            return len(_chat(seen)) >= 2

        eventually(two_arrived, lambda: (seen, steady.log))
        assert sorted(_chat(seen)) == [
            ("#room", "from the lonely side"),
            ("bob", "privately from the lonely side"),
        ]
        assert not [line for line in bob.collect(1.0) if line.command in ("PRIVMSG", "NOTICE")]
    finally:
        relay.close()


def test_who_left_during_a_split_is_gone_for_the_others_after_it(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    relay = Relay(redis.port)
    try:
        lonely = cluster_member(server_factory, relay.url)
        steady = cluster_member(server_factory, redis.url)
        alice = IrcClient(lonely.port).register("alice")
        carol = IrcClient(lonely.port).register("carol")
        dave = IrcClient(lonely.port).register("dave")
        bob = IrcClient(steady.port).register("bob")
        for user in (alice, carol, dave, bob):
            user.join("#room")
        eventually(
            lambda: names(bob, "#room") == {"alice", "bob", "carol", "dave"}, lambda: steady.log
        )
        bob.collect(0.3)

        # Quick, so the others do not declare the process dead (its heartbeat lasts 3 s).
        relay.cut()
        carol.send("QUIT :bye now")
        carol.closed()
        dave.send("PART #room :later")
        dave.expect("PART")
        alice.send("NICK alicia")
        alice.expect("NICK")
        lonely.wait_for_log("Lost Redis")
        relay.restore()

        # The others see what happened meanwhile, and the nicks are free again.
        bob.expect("QUIT", lambda line: line.source.startswith("carol!"))
        bob.expect("PART", lambda line: line.source.startswith("dave!"))
        bob.expect("NICK", lambda line: line.source.startswith("alice!"))
        assert names(bob, "#room") == {"alicia", "bob"}
        eventually(
            lambda: bob.send("NICK carol") or bob.until_any(("NICK", "433"))[0].command == "NICK",
            lambda: lonely.log,
        )
    finally:
        relay.close()


@pytest.fixture
def database_url() -> Iterator[str]:
    with running_postgres() as cluster:
        yield cluster.dsn()


def test_catch_up_from_a_shared_postgresql(
    server_factory: ServerFactory, redis: RedisServer, database_url: str, tmp_path: Path
) -> None:
    # Data directories of their own: what is caught up can only come from PostgreSQL.
    first, second = (
        cluster_member(server_factory, redis.url,
            "--database", database_url, "--data-dir", str(tmp_path / name),
        )
        for name in ("one", "two")
    )  # fmt: skip
    alice = IrcClient(first.port).register("alice")
    bob = IrcClient(second.port).register("bob")
    for user in (alice, bob):
        user.join("#pg")
    eventually(lambda: names(bob, "#pg") == {"alice", "bob"}, lambda: second.log)
    bob.collect(0.3)
    redis.pause()
    first.wait_for_log("Lost Redis")
    alice.send("PRIVMSG #pg :stored in postgresql")
    alice.send("PING sync")
    alice.expect("PONG")
    redis.resume()
    got = bob.until("PRIVMSG")
    assert got[-1].params[1] == "stored in postgresql"
    assert not [line for line in bob.collect(1.5) if line.command == "PRIVMSG"]
