"""The record of delivered msgids that keeps catch-up and live delivery exactly-once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatroom.cluster.catchup import Delivered
from chatroom.cluster.events import ChannelMessage, PrivateMessage, UserUp
from chatroom.protocol.line import Line


def _message(msgid: str) -> ChannelMessage:
    return ChannelMessage("#a", Line("PRIVMSG", ("#a", "hi"), "x!u@h", {"msgid": msgid}))


def test_a_message_is_new_once() -> None:
    delivered = Delivered()
    assert delivered.first_time(_message("m1"))
    assert not delivered.first_time(_message("m1"))  # published twice: shown once
    line = Line("PRIVMSG", ("bob", "hi"), "x!u@h", {"msgid": "m1"})
    assert not delivered.first_time(PrivateMessage("bob", line))
    assert "m1" in delivered and "m2" not in delivered


def test_other_events_and_messages_without_msgid_always_pass() -> None:
    delivered = Delivered()
    assert delivered.first_time(UserUp("x", "x!u@h"))
    assert delivered.first_time(UserUp("x", "x!u@h"))
    bare = ChannelMessage("#a", Line("PRIVMSG", ("#a", "hi"), "x!u@h"))
    assert delivered.first_time(bare) and delivered.first_time(bare)


def test_the_record_is_bounded_and_says_since_when_it_is_complete() -> None:
    delivered = Delivered(size=2)
    assert delivered.covers_since is None  # nothing forgotten yet
    for msgid in ("a", "b", "c"):
        delivered.add(msgid)
    assert "a" not in delivered and "b" in delivered and "c" in delivered
    assert delivered.covers_since is not None


def test_the_window_start_is_when_the_forgotten_msgid_was_recorded() -> None:
    # A process that ran long enough to fill the record must still catch up: the
    # record covers everything since the oldest msgid it kept, not since "now".
    delivered = Delivered(size=2)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for minute, msgid in enumerate(("a", "b", "c", "d")):
        delivered.add(msgid, start + timedelta(minutes=minute))
    assert delivered.covers_since == start + timedelta(minutes=1)  # when "b" was recorded
    delivered.add("e", start + timedelta(hours=5))
    assert delivered.covers_since == start + timedelta(minutes=2)


def test_a_message_is_remembered_only_once_delivered() -> None:
    delivered = Delivered()
    assert delivered.is_new(_message("m1"))
    assert delivered.is_new(_message("m1"))  # not delivered yet (its delivery may fail)
    delivered.remember(_message("m1"))
    assert not delivered.is_new(_message("m1"))
