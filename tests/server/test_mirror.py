"""A channel's shared state as one value, back into a channel, and orphans."""

from __future__ import annotations

from chatroom.server.channel import Channel
from chatroom.server.mirror import is_orphan, mirror_of, restore, snapshot
from chatroom.server.network.state import ChannelState
from chatroom.server.network.view import RemoteUser, RemoteView
from support.channels import busy_channel


def test_the_state_round_trips_and_leaves_members_alone() -> None:
    source = busy_channel()
    mirror = Channel("#room", "#room")
    member = object()
    mirror.members[member] = "o"  # type: ignore[index]
    restore(mirror, snapshot(source))
    for attr in ("created", "modes", "key", "limit", "topic", "topic_setter", "topic_time"):
        assert getattr(mirror, attr) == getattr(source, attr), attr
    assert mirror.lists == source.lists
    assert (mirror.founder, mirror.op_accounts, mirror.permanent) == (
        "Alice",
        {"alice", "bob"},
        True,
    )
    assert mirror.members == {member: "o"}
    # Taking things away travels too (the whole state replaces the mirror's).
    plain = Channel("#Room", "#room")
    restore(mirror, snapshot(plain))
    assert (mirror.key, mirror.limit, mirror.founder, mirror.permanent) == (None, None, None, False)
    assert mirror.lists == {"b": (), "e": (), "I": ()}


def test_a_snapshot_is_a_value() -> None:
    """Equal channels give equal, hashable snapshots (events holding one are keys)."""
    assert snapshot(busy_channel()) == snapshot(busy_channel())
    assert hash(snapshot(busy_channel())) == hash(snapshot(busy_channel()))
    assert snapshot(busy_channel()).modes == "imnt"


def test_a_mirror_is_made_only_from_a_state() -> None:
    state = snapshot(busy_channel())
    mirror = mirror_of(state)
    assert (mirror.name, mirror.folded, mirror.members) == ("#Room", "#room", {})
    assert snapshot(mirror) == state


def test_modes_and_lists_this_server_does_not_know_are_dropped() -> None:
    state = ChannelState("#x", 1, modes="ntzQ", lists=(("b", ()), ("q", (("m", "s", 1),))))
    mirror = mirror_of(state)
    assert mirror.modes == {"n", "t"}
    assert mirror.lists == {"b": (), "e": (), "I": ()}


def test_a_mirror_is_an_orphan_when_nobody_is_in_it_anywhere() -> None:
    view = RemoteView()
    view.add_user("bob", RemoteUser("bob", "bob!u@h", "p2"))
    channel = Channel("#room", "#room")
    assert is_orphan(channel, RemoteView()) and is_orphan(channel, view)
    view.join("#room", "bob", "")
    assert view.member_count("#room") == 1 and RemoteView().member_count("#room") == 0
    assert not is_orphan(channel, view)
    view.leave("#room", "bob")
    assert is_orphan(channel, view)
    channel.permanent = True  # registered, or the default room
    assert not is_orphan(channel, view)
