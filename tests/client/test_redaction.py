"""Deleted messages in the client core (chatroom.client.redaction): REDACT from the
server shows the message as "message deleted"
(https://ircv3.net/specs/extensions/message-redaction)."""

from __future__ import annotations

from chatroom.client.config import WANTED_CAPS
from chatroom.client.events import MessageDeleted
from chatroom.client.model import DELETED_TEXT
from support.client_protocol import Harness


def texts(harness: Harness, name: str) -> list[tuple[str, bool]]:
    buffer = harness.client.model.get(name)
    assert buffer is not None
    return [(m.text, m.deleted) for m in buffer.messages if m.msgid]


def test_the_cap_is_wanted() -> None:
    assert "draft/message-redaction" in WANTED_CAPS


def test_a_deleted_channel_message_shows_as_deleted() -> None:
    harness = Harness(rooms=()).register().join("#lobby")
    harness.feed("@msgid=a :bob!~b@h PRIVMSG #lobby :oops", "@msgid=b :bob!~b@h PRIVMSG #lobby :ok")
    harness.events.clear()
    harness.feed(":bob!~b@h REDACT #lobby a :typo")
    assert texts(harness, "#lobby") == [(DELETED_TEXT, True), ("ok", False)]
    [event] = harness.of(MessageDeleted)
    assert isinstance(event, MessageDeleted)
    assert (event.buffer, event.message.msgid, event.message.text) == ("#lobby", "a", DELETED_TEXT)
    assert [m.text for m in event.backlog if m.msgid] == [DELETED_TEXT, "ok"]


def test_a_deleted_private_message_is_found_under_the_other_person() -> None:
    harness = Harness(rooms=()).register()
    harness.feed("@msgid=p :bob!~b@h PRIVMSG alice :psst")
    harness.feed(":bob!~b@h REDACT alice p")
    assert texts(harness, "bob") == [(DELETED_TEXT, True)]


def test_an_unknown_msgid_or_buffer_changes_nothing() -> None:
    harness = Harness(rooms=()).register().join("#lobby")
    harness.feed("@msgid=a :bob!~b@h PRIVMSG #lobby :hi")
    harness.events.clear()
    harness.feed(":bob!~b@h REDACT #lobby zzz", ":bob!~b@h REDACT #elsewhere a")
    harness.feed(":bob!~b@h REDACT #lobby")  # too few parameters: dropped
    assert texts(harness, "#lobby") == [("hi", False)]
    assert harness.of(MessageDeleted) == []
