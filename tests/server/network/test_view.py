"""The remote view follows joins, parts, renames and dead processes."""

from __future__ import annotations

import dataclasses

from chatroom.server.network.events import UserUp
from chatroom.server.network.view import RemoteUser, RemoteView


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


def test_user_fields_and_mode_counts() -> None:
    view = RemoteView()
    ann = RemoteUser("Ann", "Ann!~ann@10.0.0.1", "p1", "Ann A", None, None, "i")
    assert (ann.user, ann.host, ann.invisible, ann.is_operator) == ("~ann", "10.0.0.1", True, False)
    view.add_user("ann", ann)
    view.add_user("bo", RemoteUser("Bo", "Bo!b@h", "p2", modes="io"))
    assert view.mode_counts["i"] == 2 and view.mode_counts["o"] == 1
    view.add_user("bo", RemoteUser("Bo", "Bo!b@h", "p2"))  # refreshed: no modes now
    assert view.mode_counts["i"] == 1 and view.mode_counts["o"] == 0
    view.rename("ann", "annie", "Annie", "Annie!~ann@10.0.0.1")
    assert view.mode_counts["i"] == 1 and view.users["annie"].realname == "Ann A"
    view.remove_user("annie")
    assert view.mode_counts["i"] == 0


def test_set_state_changes_only_a_known_user() -> None:
    view = RemoteView()
    view.add_user("cy", RemoteUser("Cy", "Cy!c@h", "p1", "Cy", signon=5, secure=True))
    old = view.set_state("cy", "Cyrus", "cy", "away", "o")
    assert old is not None and old.away is None
    assert view.users["cy"] == RemoteUser("Cy", "Cy!c@h", "p1", "Cyrus", "cy", "away", "o", 5, True)
    assert view.mode_counts["o"] == 1
    assert view.set_state("nobody", "x", None, None, "") is None
    assert "nobody" not in view.users


def test_a_rename_onto_a_known_nick_forgets_the_one_there() -> None:
    """Possible after a Redis outage, when one nick was taken on two processes."""
    view = RemoteView()
    view.add_user("al", RemoteUser("Al", "Al!u@h", "p1", modes="o"))
    view.add_user("bo", RemoteUser("Bo", "Bo!u@h", "p2", modes="i"))
    view.join("#a", "al", "o")
    view.join("#b", "bo", "")
    view.rename("bo", "al", "Al", "Al!u@h2")
    assert view.users["al"].process == "p2" and view.users["al"].source == "Al!u@h2"
    assert "bo" not in view.users
    assert view.mode_counts["o"] == 0 and view.mode_counts["i"] == 1
    assert view.channels_of("al") == {"#b"}
    assert view.members == {"#b": {"al": ""}}


def test_a_rename_of_case_only_keeps_the_user() -> None:
    view = RemoteView()
    view.add_user("al", RemoteUser("al", "al!u@h", "p1", modes="i"))
    view.join("#a", "al", "v")
    view.rename("al", "al", "AL", "AL!u@h")
    assert view.users["al"].nick == "AL" and view.mode_counts["i"] == 1
    assert view.members == {"#a": {"al": "v"}}


def test_a_remote_user_has_every_field_of_its_user_up() -> None:
    """A field added to UserUp must reach RemoteUser under the same name."""
    up = UserUp("Al", "Al!u@h", "Real", "acc", "brb", "io", 1700000000, True)
    user = RemoteUser.from_up(up, "p1")
    assert user.process == "p1"
    for field in dataclasses.fields(UserUp):
        assert getattr(user, field.name) == getattr(up, field.name), field.name
