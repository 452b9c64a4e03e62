"""MONITOR and extended-monitor in memory (https://ircv3.net/specs/extensions/monitor,
https://ircv3.net/specs/extensions/extended-monitor)."""

from __future__ import annotations

import asyncio

from chatroom.server.config import Config
from chatroom.server.watchlist import Watchlist
from support.core import Harness, commands, find, join, params


async def test_isupport_and_cap_advertise_monitor(harness: Harness) -> None:
    client = harness.connect()
    client.send("CAP LS 302")
    await asyncio.sleep(0.01)
    assert "extended-monitor" in " ".join(find(client.lines(), "CAP").params)
    client.send("NICK alice", "USER alice 0 * :alice", "CAP END")
    await asyncio.sleep(0.01)
    tokens = [p for line in params(client.lines(), "005") for p in line]
    assert "MONITOR=100" in tokens


async def test_add_reports_online_and_offline(harness: Harness) -> None:
    alice = await harness.user("alice")
    await harness.user("bob")
    replies = await alice.ask("MONITOR + Bob,carol")
    assert params(replies, "730") == [("alice", "bob!~bob@10.0.0.2")]
    assert params(replies, "731") == [("alice", "carol")]


async def test_watchers_are_told_of_connect_quit_and_nick_change(harness: Harness) -> None:
    alice = await harness.user("alice")
    await alice.ask("MONITOR + bob,robert")
    bob = await harness.user("bob")
    assert params(alice.lines(), "730") == [("alice", "bob!~bob@10.0.0.2")]
    await bob.ask("NICK Robert")
    told = alice.lines()
    assert params(told, "731") == [("alice", "bob")]
    assert params(told, "730") == [("alice", "Robert!~bob@10.0.0.2")]
    await bob.ask("NICK ROBERT")  # a change of case only: still online
    assert commands(alice.lines()) == []
    await bob.ask("QUIT :bye")
    assert params(alice.lines(), "731") == [("alice", "ROBERT")]


async def test_list_status_remove_and_clear(harness: Harness) -> None:
    alice = await harness.user("alice")
    await harness.user("bob")
    await alice.ask("MONITOR + bob,Carol,bob,BOB")
    replies = await alice.ask("MONITOR L")
    assert commands(replies) == ["732", "733"]
    assert find(replies, "732").params[1] == "bob,Carol"
    status = await alice.ask("MONITOR S")
    assert params(status, "730") == [("alice", "bob!~bob@10.0.0.2")]
    assert params(status, "731") == [("alice", "Carol")]
    assert await alice.ask("MONITOR - carol") == []  # removing says nothing
    assert find(await alice.ask("MONITOR L"), "732").params[1] == "bob"
    assert await alice.ask("MONITOR C") == []
    assert commands(await alice.ask("MONITOR L")) == ["733"]
    assert len(harness.server.watchlist) == 0


async def test_bad_input_gets_replies_not_tracebacks(harness: Harness) -> None:
    alice = await harness.user("alice")
    assert find(await alice.ask("MONITOR"), "461").params[1] == "MONITOR"
    assert find(await alice.ask("MONITOR +"), "461").params[1] == "MONITOR"
    fail = find(await alice.ask("MONITOR X"), "FAIL")
    assert fail.params[:3] == ("MONITOR", "INVALID_PARAMS", "X")
    # Not a nick (a channel, a mask): skipped, never watched.
    assert await alice.ask("MONITOR + #chan,a*b,,") == []
    assert commands(await alice.ask("MONITOR L")) == ["733"]
    client = harness.connect()
    client.send("MONITOR + bob")
    await asyncio.sleep(0.01)
    assert commands(client.lines()) == ["451"]


async def test_full_list_answers_734_with_what_was_left_out() -> None:
    harness = Harness(Config(flood_enabled=False, monitor=2))
    try:
        alice = await harness.user("alice")
        replies = await alice.ask("MONITOR + a1,a2,a3,a4")
        assert params(replies, "734") == [("alice", "2", "a3,a4", "Monitor list is full")]
        assert params(replies, "731") == [("alice", "a1,a2")]
        # Those already watched still get their status when the list is full.
        assert params(await alice.ask("MONITOR + A1"), "731") == [("alice", "A1")]
        assert "734" in commands(await alice.ask("MONITOR + a5"))
    finally:
        await harness.close()


async def test_long_lists_are_split_to_fit_a_line() -> None:
    harness = Harness(Config(flood_enabled=False, monitor=200))
    try:
        alice = await harness.user("alice")
        nicks = [f"someone{i:03}" for i in range(160)]
        replies = []
        for start in range(0, 160, 40):  # an input line holds 40 of them
            replies += await alice.ask("MONITOR + " + ",".join(nicks[start : start + 40]))
        assert [nick for p in params(replies, "731") for nick in p[1].split(",")] == nicks
        # The whole list (160 nicks) does not fit in one line: L and S split it.
        for ask, numeric in (("MONITOR L", "732"), ("MONITOR S", "731")):
            lines = params(await alice.ask(ask), numeric)
            assert len(lines) > 1
            assert all(len(f":chatroom {numeric} alice :{p[1]}\r\n") <= 512 for p in lines)
            assert [nick for p in lines for nick in p[1].split(",")] == nicks
    finally:
        await harness.close()


async def test_a_watcher_that_leaves_is_forgotten(harness: Harness) -> None:
    alice = await harness.user("alice")
    await alice.ask("MONITOR + bob,carol")
    assert len(harness.server.watchlist) == 2
    await alice.ask("QUIT")
    assert len(harness.server.watchlist) == 0
    await harness.user("bob")  # nobody is told: no error either


async def test_extended_monitor_sends_notifications_without_a_shared_channel(
    harness: Harness,
) -> None:
    caps = ("extended-monitor", "away-notify", "setname", "account-notify")
    alice = await harness.user("alice", caps=caps)
    plain = await harness.user("plain", caps=caps[1:])  # no extended-monitor
    only = await harness.user("only", caps=("extended-monitor",))  # no away-notify
    for watcher in (alice, plain, only):
        await watcher.ask("MONITOR + bob")
    bob = await harness.user("bob")
    for watcher in (alice, plain, only):
        watcher.lines()
    await bob.ask("AWAY :lunch")
    await bob.ask("SETNAME :Bob B")
    await bob.ask("REGISTER * * :a good password")
    assert commands(alice.lines()) == ["AWAY", "SETNAME", "ACCOUNT"]
    assert commands(plain.lines()) == []
    assert commands(only.lines()) == []


async def test_extended_monitor_does_not_duplicate_a_channel_notification(
    harness: Harness,
) -> None:
    alice = await harness.user("alice", caps=("extended-monitor", "away-notify"))
    bob = await harness.user("bob")
    await join("#c", alice, bob)
    await alice.ask("MONITOR + bob,alice")
    await bob.ask("AWAY :lunch")
    assert commands(alice.lines()) == ["AWAY"]
    await alice.ask("AWAY :me too")  # watching oneself: only the 306 reply
    assert commands(alice.lines()) == []


def test_the_watchlist_keeps_both_directions_in_step() -> None:
    watchlist: Watchlist[str] = Watchlist()
    watchlist.add("w1", "bob", "Bob")
    watchlist.add("w2", "bob", "bob")
    watchlist.add("w1", "carol", "Carol")
    assert watchlist.watchers("bob") == {"w1", "w2"}
    assert dict(watchlist.watched("w1")) == {"bob": "Bob", "carol": "Carol"}
    watchlist.remove("w1", "bob")
    watchlist.remove("w1", "nobody")
    assert watchlist.watchers("bob") == {"w2"}
    watchlist.clear("w2")
    assert watchlist.watchers("bob") == frozenset()
    watchlist.clear("w1")
    assert len(watchlist) == 0
    assert dict(watchlist.watched("w1")) == {}
