"""A channel's shared state survives its JSON form, and mirrors go when orphaned."""

from __future__ import annotations

import json

import pytest

from chatroom.cluster.channels import Echoes, dump, is_orphan, load, name_of, remote_count
from chatroom.cluster.view import RemoteUser, RemoteView
from chatroom.server.channel import Channel, ListEntry


def _busy_channel() -> Channel:
    channel = Channel("#Room", "#room")
    channel.created = 1_700_000_000
    channel.modes = {"i", "m", "n", "t"}
    channel.key = "sesame"
    channel.limit = 12
    channel.topic, channel.topic_setter, channel.topic_time = "hello", "a!u@h", 1_700_000_100
    channel.lists["b"] += (ListEntry("bad!*@*", "a!u@h", 1_700_000_200),)
    channel.lists["I"] += (ListEntry("*!*@friends", "a!u@h", 1_700_000_300),)
    channel.founder = "Alice"
    channel.op_accounts = {"alice", "bob"}
    channel.permanent = True
    return channel


def test_the_state_round_trips_and_leaves_members_alone() -> None:
    source = _busy_channel()
    mirror = Channel("#room", "#room")
    member = object()
    mirror.members[member] = "o"  # type: ignore[index]
    load(mirror, dump(source))
    for attr in ("created", "modes", "key", "limit", "topic", "topic_setter", "topic_time"):
        assert getattr(mirror, attr) == getattr(source, attr), attr
    assert mirror.lists == source.lists
    assert (mirror.founder, mirror.op_accounts, mirror.permanent) == (
        "Alice",
        {"alice", "bob"},
        True,
    )
    assert mirror.members == {member: "o"}
    assert name_of(dump(source)) == "#Room"
    # Taking things away travels too (the whole state replaces the mirror's).
    plain = Channel("#Room", "#room")
    load(mirror, dump(plain))
    assert (mirror.key, mirror.limit, mirror.founder, mirror.permanent) == (None, None, None, False)
    assert mirror.lists == {"b": (), "e": (), "I": ()}


@pytest.mark.parametrize(
    "change",
    [
        {"k": 5},
        {"l": "ten"},
        {"b": [["only-a-mask"]]},
        {"f": ["x"]},
        {"tt": "soon"},
    ],
)
def test_a_bad_state_is_a_value_error_and_changes_nothing(change: dict[str, object]) -> None:
    body = json.loads(dump(_busy_channel()))
    body.update(change)
    mirror = Channel("#room", "#room")
    before = dump(mirror)
    with pytest.raises(ValueError):
        load(mirror, json.dumps(body))
    assert dump(mirror) == before


@pytest.mark.parametrize("state", ["", "[]", "{}", '{"n":""}', '{"n":3}'])
def test_a_state_without_a_name_is_a_value_error(state: str) -> None:
    with pytest.raises(ValueError):
        name_of(state)


def test_a_mirror_is_an_orphan_when_nobody_is_in_it_anywhere() -> None:
    view = RemoteView()
    view.add_user("bob", RemoteUser("bob", "bob!u@h", "p2"))
    channel = Channel("#room", "#room")
    assert is_orphan(channel, None) and is_orphan(channel, view)
    view.join("#room", "bob", "")
    assert remote_count(view, "#room") == 1 and remote_count(None, "#room") == 0
    assert not is_orphan(channel, view)
    view.leave("#room", "bob")
    assert is_orphan(channel, view)
    channel.permanent = True  # registered, or the default room
    assert not is_orphan(channel, view)


def test_an_echo_not_overtaken_is_skipped() -> None:
    echoes = Echoes()
    echoes.sent("#c")
    assert not echoes.heard_own("#c")
    echoes.heard_other("#c")  # after ours came back: applied as usual, nothing owed
    echoes.sent("#c")
    assert not echoes.heard_own("#c")


def test_the_last_own_echo_after_another_update_is_adopted() -> None:
    echoes = Echoes()
    echoes.sent("#c")
    echoes.sent("#c")
    echoes.heard_other("#c")  # Redis ran it before ours: ours are newer
    echoes.heard_other("#d")  # another channel: nothing to do with #c
    assert not echoes.heard_own("#c")  # a later own one is still on its way
    assert echoes.heard_own("#c")
    echoes.sent("#c")
    assert not echoes.heard_own("#c")  # settled: a new round starts clean
