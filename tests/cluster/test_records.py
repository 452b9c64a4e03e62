"""The ``{chatroom}:users`` record: small, complete, and readable from older processes."""

from __future__ import annotations

import json

import pytest

from chatroom.cluster.records import remote_user, user_record
from chatroom.server.network.events import UserUp
from chatroom.server.network.view import RemoteUser


def test_a_record_keeps_what_whois_shows() -> None:
    up = UserUp("Al", "Al!~al@h", "Al Real", "al", "brb", "io", 1700000000, True)
    record = json.loads(user_record(up, "p1"))
    assert remote_user(record) == RemoteUser(
        "Al", "Al!~al@h", "p1", "Al Real", "al", "brb", "io", 1700000000, True
    )


def test_defaults_are_left_out_and_old_records_read() -> None:
    record = json.loads(user_record(UserUp("Bo", "Bo!b@h", "Bo"), "p2"))
    assert record == {"n": "Bo", "s": "Bo!b@h", "p": "p2", "r": "Bo"}
    assert remote_user({"n": "Cy", "s": "Cy!c@h", "p": "p3"}) == RemoteUser("Cy", "Cy!c@h", "p3")


@pytest.mark.parametrize(
    "record",
    [
        [],
        "x",
        {"s": "Cy!c@h", "p": "p3"},
        {"n": None, "s": "Cy!c@h", "p": "p3"},
        {"n": "Cy", "s": "Cy!c@h", "p": 3},
        {"n": "Cy", "s": "Cy!c@h", "p": "p3", "t": "soon"},
        {"n": "Cy", "s": "Cy!c@h", "p": "p3", "t": 1.5},
        {"n": "Cy", "s": "Cy!c@h", "p": "p3", "m": None},
        {"n": "Cy", "s": "Cy!c@h", "p": "p3", "m": 5},
        {"n": "Cy", "s": "Cy!c@h", "p": "p3", "w": 5},
        {"n": "Cy", "s": "Cy!c@h", "p": "p3", "a": ["x"]},
    ],
)
def test_a_bad_record_is_a_value_error(record: object) -> None:
    """The snapshot skips such a record (with a log line) instead of failing the start."""
    with pytest.raises(ValueError):
        remote_user(record)
