"""A channel's state stays one network-wide when changes race, and when what Redis
holds is malformed: every process and Redis end with the same state, nobody is left
behind in Redis, and a bad state costs a log line, never the link to the network."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator

import pytest
import redis as redis_py

from support.accounts import register_account
from support.irc_client import IrcClient
from support.redis import RedisServer
from support.server import RunningServer, ServerFactory, cluster_member
from support.timeouts import eventually


@pytest.fixture
def store(shared_redis: RedisServer) -> Iterator[redis_py.Redis]:
    """A client of the test's Redis, to read (and spoil) what the processes keep."""
    with redis_py.Redis.from_url(shared_redis.url) as client:
        yield client


def _modes(client: IrcClient, channel: str) -> list[str]:
    """The RPL_CHANNELMODEIS parameters after the channel name: ``["+ntk", "key"]``."""
    client.send(f"MODE {channel}")
    reply = client.until_any(("324", "403"))[0]
    return reply.params[2:] if reply.command == "324" else []


def _stored_modes(store: redis_py.Redis, channel: str) -> list[str]:
    """What :func:`_modes` shows a member for the state Redis holds ([] if none)."""
    raw = store.get(f"{{chatroom}}:channel:{channel}")
    if raw is None:
        return []
    state = json.loads(raw)
    letters = state["m"] + ("k" if state["k"] is not None else "") + ("l" if state["l"] else "")
    args = [state["k"]] if state["k"] is not None else []
    args += [str(state["l"])] if state["l"] else []
    return ["+" + letters, *args]


def _mode_line(client: IrcClient, text: str) -> None:
    """Wait for the MODE line whose parameters after the target are ``text``."""
    client.expect("MODE", lambda line: " ".join(line.params[1:]) == text)


def _ops_of_both(
    first: RunningServer, second: RunningServer, channel: str, one: str, two: str
) -> tuple[IrcClient, IrcClient]:
    """``one`` on the first process and ``two`` on the second, both operators."""
    alice = IrcClient(first.port).register(one)
    alice.join(channel)
    bob = IrcClient(second.port).register(two)
    eventually(lambda: _modes(bob, channel) == ["+nt"], lambda: _modes(bob, channel))
    bob.join(channel)
    alice.expect("JOIN", lambda line: line.source.startswith(f"{two}!"))
    alice.send(f"MODE {channel} +o {two}")
    _mode_line(bob, f"+o {two}")
    return alice, bob


def test_a_bad_state_in_redis_does_not_cut_a_process_off(
    pair: tuple[RunningServer, RunningServer], store: redis_py.Redis
) -> None:
    first, second = pair
    # Someone is in #spoilt on a process unknown here, and its state is not JSON.
    store.hset("{chatroom}:members:#spoilt", "ghost", '{"s":"","p":"elsewhere"}')
    store.set("{chatroom}:channel:#spoilt", b"\xff not a state")
    alice = IrcClient(first.port).register("spoiler")
    alice.send("JOIN #spoilt")  # new here, but Redis says it exists: its state is junk
    assert alice.until_any(("JOIN", "437"))[0].command == "437"
    first.wait_for_log("#spoilt was created on another process first")

    # The process still talks to the network.
    bob = IrcClient(second.port).register("listener")
    bob.join("#after")
    eventually(lambda: _modes(alice, "#after") == ["+nt"], lambda: _modes(alice, "#after"))
    alice.join("#after")
    bob.expect("JOIN", lambda line: line.source.startswith("spoiler!"))
    alice.send("PRIVMSG #after :still here")
    assert bob.expect("PRIVMSG").params == ["#after", "still here"]


def test_a_bad_state_of_an_emptied_channel_is_forgotten_without_losing_redis(
    pair: tuple[RunningServer, RunningServer], store: redis_py.Redis
) -> None:
    first, _second = pair
    alice = IrcClient(first.port).register("junker")
    alice.join("#junk")
    eventually(lambda: store.exists("{chatroom}:channel:#junk") == 1, lambda: "not stored")
    store.set("{chatroom}:channel:#junk", "not json")
    alice.send("PART #junk")
    alice.expect("PART")
    eventually(lambda: store.exists("{chatroom}:channel:#junk") == 0, lambda: "still stored")
    alice.join("#next")  # written in a later batch: Redis was never thought lost
    eventually(lambda: store.exists("{chatroom}:channel:#next") == 1, lambda: "not stored")
    assert "Lost Redis" not in first.log


def test_a_process_starting_with_a_bad_state_in_redis_makes_no_open_copy(
    server_factory: ServerFactory, shared_redis: RedisServer, store: redis_py.Redis
) -> None:
    first = cluster_member(server_factory, shared_redis.url)
    alice = IrcClient(first.port).register("shutter")
    alice.join("#shut")
    alice.send("MODE #shut +b mallory!*@*")
    _mode_line(alice, "+b mallory!*@*")
    eventually(
        lambda: b"mallory" in (store.get("{chatroom}:channel:#shut") or b""), lambda: "not stored"
    )
    store.set("{chatroom}:channel:#shut", b"\xff\xfe")  # not even UTF-8

    later = cluster_member(server_factory, shared_redis.url)
    later.wait_for_log("Ignored the bad state of channel #shut")
    mallory = IrcClient(later.port).register("mallory")
    mallory.send("JOIN #shut")
    # Not a fresh copy without the ban: refused until the state is known.
    assert mallory.until_any(("JOIN", "437"))[0].command == "437"


def test_changes_made_at_the_same_instant_on_two_processes_converge(
    pair: tuple[RunningServer, RunningServer], store: redis_py.Redis
) -> None:
    first, second = pair
    alice, bob = _ops_of_both(first, second, "#lww", "lwwa", "lwwb")
    for round_ in range(10):
        # Each changes its own part of the state; whole states are exchanged, so
        # one of the two changes is lost. But everyone must keep the same one.
        alice.send(f"MODE #lww +k key{round_}")
        bob.send(f"MODE #lww {'+i' if round_ % 2 == 0 else '-i'}+l {round_ + 10}")
        alice.collect(0.3)
        bob.collect(0.3)

        def agree() -> bool:
            stored = _stored_modes(store, "#lww")
            return _modes(alice, "#lww") == stored == _modes(bob, "#lww")

        eventually(
            agree,
            lambda: (_modes(alice, "#lww"), _modes(bob, "#lww"), _stored_modes(store, "#lww")),
        )


def test_a_status_change_on_another_process_does_not_undo_later_changes(
    pair: tuple[RunningServer, RunningServer], store: redis_py.Redis
) -> None:
    first, second = pair
    rita = register_account(second, "rita")
    rita.join("#regd")
    rita.send("CS REGISTER #regd")
    assert "registered to you" in rita.expect("NOTICE").params[1]
    una = register_account(first, "una")
    eventually(lambda: _modes(una, "#regd") == ["+nt"], lambda: _modes(una, "#regd"))
    una.join("#regd")
    rita.expect("JOIN", lambda line: line.source.startswith("una!"))
    rita.send("MODE #regd +o una")
    rita.send("MODE #regd +k sesame")
    _mode_line(una, "+k sesame")
    # Nobody publishes an older state afterwards: all keep the key.
    una.collect(0.5)
    assert _modes(una, "#regd") == ["+ntk", "sesame"]
    assert _modes(rita, "#regd") == ["+ntk", "sesame"]
    assert _stored_modes(store, "#regd") == ["+ntk", "sesame"]
    assert json.loads(store.get("{chatroom}:channel:#regd") or "")["a"] == ["rita", "una"]


def test_a_status_given_to_a_user_leaving_leaves_nothing_in_redis(
    pair: tuple[RunningServer, RunningServer], store: redis_py.Redis
) -> None:
    first, second = pair
    alice = IrcClient(first.port).register("voicer")
    bob = IrcClient(second.port).register("leaver")
    for round_ in range(6):
        _voice_the_leaver(alice, bob, store, f"#ghost{round_}")


def _voice_the_leaver(
    alice: IrcClient, bob: IrcClient, store: redis_py.Redis, channel: str
) -> None:
    """Bob parts while alice voices him, then alice leaves: nothing may stay."""
    alice.join(channel)
    eventually(lambda: _modes(bob, channel) == ["+nt"], lambda: _modes(bob, channel))
    bob.join(channel)
    alice.expect("JOIN", lambda line: line.source.startswith("leaver!"))
    bob.send(f"PART {channel}")  # at the same instant as the +v
    alice.send(f"MODE {channel} +v leaver")
    alice.until_any(("MODE", "441", "401"))
    alice.send(f"PART {channel}")
    alice.expect("PART")
    keys = (f"{{chatroom}}:members:{channel}", f"{{chatroom}}:channel:{channel}")
    eventually(lambda: store.exists(*keys) == 0, lambda: store.hgetall(keys[0]))


def test_an_unregistered_empty_room_is_forgotten_everywhere(
    pair: tuple[RunningServer, RunningServer], store: redis_py.Redis
) -> None:
    first, second = pair
    rita = register_account(first, "rhea")
    rita.join("#brief")
    rita.send("CS REGISTER #brief")
    assert "registered to you" in rita.expect("NOTICE").params[1]
    rita.send("PART #brief")
    rita.expect("PART")
    sam = IrcClient(second.port).register("saul")
    eventually(lambda: _modes(sam, "#brief") == ["+nt"], lambda: _modes(sam, "#brief"))
    rita.send("CS UNREGISTER #brief")
    assert "no longer registered" in rita.expect("NOTICE").params[1]
    eventually(lambda: _modes(sam, "#brief") == [], lambda: _modes(sam, "#brief"))
    assert _modes(rita, "#brief") == []
    eventually(lambda: store.exists("{chatroom}:channel:#brief") == 0, lambda: "still stored")


def test_a_secret_channel_shows_nothing_to_outsiders_on_any_process(
    pair: tuple[RunningServer, RunningServer],
) -> None:
    first, second = pair
    keeper = IrcClient(first.port).register("keeper")
    keeper.join("#hush")
    keeper.send("MODE #hush +sb nosy!*@*")
    _mode_line(keeper, "+sb nosy!*@*")
    nosy = IrcClient(second.port).register("nosy")
    near = IrcClient(first.port).register("near")
    for outsider in (nosy, near):

        def refused(outsider: IrcClient = outsider) -> bool:
            outsider.send("MODE #hush")
            return outsider.until_any(("324", "442", "403"))[0].command == "442"

        eventually(refused, lambda: "MODE #hush still answered")
        outsider.send("MODE #hush b")
        assert outsider.until_any(("367", "368", "442"))[0].command == "442"
    assert _modes(keeper, "#hush") == ["+nst"]  # members still see them


def test_an_invite_of_an_away_user_on_another_process_says_so(
    pair: tuple[RunningServer, RunningServer],
) -> None:
    first, second = pair
    host = IrcClient(first.port).register("host")
    host.join("#party")
    guest = IrcClient(second.port).register("guest")
    guest.send("AWAY :at lunch")
    guest.expect("306")

    def away_known() -> bool:
        host.send("WHOIS guest")
        return any(line.command == "301" for line in host.until("318"))

    eventually(away_known, lambda: "guest not known as away")
    host.send("INVITE guest #party")
    assert host.expect("341").params[1:] == ["guest", "#party"]
    assert host.expect("301").params[1:] == ["guest", "at lunch"]
    assert guest.expect("INVITE").params == ["guest", "#party"]


def test_a_kick_of_a_user_renaming_on_another_process_is_applied_everywhere_or_nowhere(
    pair: tuple[RunningServer, RunningServer],
) -> None:
    first, second = pair
    boss = IrcClient(first.port).register("boss")
    boss.join("#door")
    for round_ in range(5):
        _kick_the_renamer(boss, second, f"runner{round_}")


def _kick_the_renamer(boss: IrcClient, second: RunningServer, nick: str) -> None:
    """``nick`` (on the second process) joins, then renames as boss kicks it: both
    processes must end up agreeing whether it is still in the channel."""
    runner = IrcClient(second.port).register(nick)
    runner.join("#door")
    boss.expect("JOIN", lambda line: line.source.startswith(f"{nick}!"))
    runner.send(f"NICK {nick}x")  # at the same instant as the KICK
    boss.send(f"KICK #door {nick} :out")
    runner.collect(0.3)

    def names(client: IrcClient) -> set[str]:
        client.send("NAMES #door")
        return {
            name
            for line in client.until("366")
            if line.command == "353"
            for name in line.params[3].split()
        }

    eventually(lambda: names(boss) == names(runner), lambda: (names(boss), names(runner)))
    runner.close()
    boss.collect(0.1)


def test_a_command_redis_refuses_costs_that_command_only(
    pair: tuple[RunningServer, RunningServer], store: redis_py.Redis
) -> None:
    first, second = pair
    typer = IrcClient(first.port).register("typer")
    typer.join("#typed")
    watcher = IrcClient(second.port).register("watcher")
    eventually(lambda: _modes(watcher, "#typed") == ["+nt"], lambda: _modes(watcher, "#typed"))
    watcher.join("#typed")
    typer.expect("JOIN", lambda line: line.source.startswith("watcher!"))
    store.set("{chatroom}:members:#typed", "not a hash")  # the +v's script fails on it
    typer.send("MODE #typed +v typer")
    _mode_line(typer, "+v typer")
    first.wait_for_log("Redis refused a command")
    typer.send("MODE #typed +m")
    _mode_line(watcher, "+m")  # the next change goes through
    assert "Lost Redis" not in first.log


def test_a_new_channel_is_joined_even_when_redis_does_not_answer(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    alone = cluster_member(server_factory, redis.url)
    opal = IrcClient(alone.port).register("opal")
    os.kill(redis.proc.pid, signal.SIGSTOP)  # connected, but silent: no answer, no error
    try:
        started = time.monotonic()
        opal.send("JOIN #quiet")
        names = opal.expect("353")
        assert time.monotonic() - started < 8  # not the 10 s Redis client timeout
        assert names.params[3] == "@opal"  # created here alone, availability first
        alone.wait_for_log("Redis did not answer in time for #quiet")
    finally:
        os.kill(redis.proc.pid, signal.SIGCONT)
