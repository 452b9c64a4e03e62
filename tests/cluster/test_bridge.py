"""The chatroom:users record: small, complete, and readable from older processes."""

from __future__ import annotations

import json

from chatroom.cluster.bridge import _user_record, remote_user
from chatroom.cluster.events import UserUp
from chatroom.cluster.view import RemoteUser


def test_a_record_keeps_what_whois_shows() -> None:
    up = UserUp("Al", "Al!~al@h", "Al Real", "al", "brb", "io", 1700000000, True)
    record = json.loads(_user_record(up, "p1"))
    assert remote_user(record) == RemoteUser(
        "Al", "Al!~al@h", "p1", "Al Real", "al", "brb", "io", 1700000000, True
    )


def test_defaults_are_left_out_and_old_records_read() -> None:
    record = json.loads(_user_record(UserUp("Bo", "Bo!b@h", "Bo"), "p2"))
    assert record == {"n": "Bo", "s": "Bo!b@h", "p": "p2", "r": "Bo"}
    assert remote_user({"n": "Cy", "s": "Cy!c@h", "p": "p3"}) == RemoteUser("Cy", "Cy!c@h", "p3")
