"""The remote view follows joins, parts, renames and dead processes."""

from __future__ import annotations

from chatroom.cluster.view import RemoteUser, RemoteView


def test_memberships_follow_the_user() -> None:
    view = RemoteView()
    view.add_user("alice", RemoteUser("Alice", "Alice!u@h", "p1"))
    view.join("#a", "alice", "o")
    view.join("#b", "alice", "")
    view.rename("alice", "al", "Al", "Al!u@h")
    assert view.members == {"#a": {"al": "o"}, "#b": {"al": ""}}
    assert view.users["al"].source == "Al!u@h"
    view.leave("#a", "al")
    assert view.channels_of("al") == {"#b"}
    assert view.remove_user("al") == RemoteUser("Al", "Al!u@h", "p1")
    assert view.members == {} and view.users == {}


def test_users_by_process() -> None:
    view = RemoteView()
    view.add_user("a", RemoteUser("a", "a!u@h", "p1"))
    view.add_user("b", RemoteUser("b", "b!u@h", "p2"))
    assert view.processes() == {"p1", "p2"}
    assert [f for f, _ in view.users_of("p2")] == ["b"]
    view.leave("#none", "a")  # no error
