"""Deleted messages in the client core (chatroom.client.redaction): REDACT from the
server shows the message as "message deleted"
(https://ircv3.net/specs/extensions/message-redaction)."""

from __future__ import annotations

from chatroom.client.commands import Delete, Problem, command_names, parse_input
from chatroom.client.config import WANTED_CAPS
from chatroom.client.events import MessageDeleted
from chatroom.client.model import DELETED_TEXT, MessageKind
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


def deleting(*caps: str) -> Harness:
    """alice in #lobby with the redaction cap (and ``caps``): she said two things,
    bob one."""
    harness = Harness(rooms=()).register().join("#lobby")
    harness.client.caps.update({"message-tags", "draft/message-redaction", *caps})
    harness.feed(
        "@msgid=a1 :alice!~alice@h PRIVMSG #lobby :first",
        "@msgid=b1 :bob!~b@h PRIVMSG #lobby :from bob",
        "@msgid=a2 :alice!~alice@h PRIVMSG #lobby :typo",
    )
    harness.client.switch_to("#lobby")
    harness.conn.sent.clear()
    return harness


def errors(harness: Harness) -> list[str]:
    buffer = harness.client.model.active_buffer
    return [m.text for m in buffer.messages if m.kind is MessageKind.ERROR]


def test_delete_command_parses() -> None:
    assert parse_input("/delete") == Delete("")
    assert parse_input("/delete a2") == Delete("a2")
    assert isinstance(parse_input("/delete a b"), Problem)
    assert "/delete" in command_names()


def test_delete_sends_redact_for_ones_newest_message() -> None:
    harness = deleting()
    harness.client.submit("/delete")
    assert harness.conn.texts() == ["REDACT #lobby a2"]
    harness.feed(":alice!~alice@h REDACT #lobby a2")
    harness.conn.sent.clear()
    harness.client.submit("/delete")  # the deleted one is skipped: the one before
    assert harness.conn.texts() == ["REDACT #lobby a1"]


def test_delete_names_a_message_by_msgid_or_nick() -> None:
    harness = deleting()
    harness.client.submit("/delete a1")
    harness.client.submit("/delete bob")  # an operator's, or refused by the server
    assert harness.conn.texts() == ["REDACT #lobby a1", "REDACT #lobby b1"]
    harness.client.submit("/delete nobody")
    assert errors(harness) == ["No message matching nobody here to delete."]


def test_delete_without_the_cap_or_a_message_sends_nothing() -> None:
    harness = deleting()
    harness.client.caps.discard("draft/message-redaction")
    harness.client.submit("/delete")
    assert errors(harness) == ["This server does not let messages be deleted."]
    harness = Harness(rooms=()).register().join("#empty")
    harness.client.caps.add("draft/message-redaction")
    harness.client.switch_to("#empty")
    harness.client.submit("/delete")
    assert harness.conn.texts() == []
    assert errors(harness) == ["No message of yours here to delete."]


def test_the_servers_refusals_read_as_sentences() -> None:
    harness = deleting()
    harness.feed(
        ":srv FAIL REDACT REDACT_FORBIDDEN #lobby b1 :You are not authorised",
        ":srv FAIL REDACT REDACT_WINDOW_EXPIRED #lobby a1 900 :Too old",
        ":srv FAIL REDACT UNKNOWN_MSGID #lobby zz :This message does not exist",
        ":srv FAIL REDACT SOMETHING_NEW #lobby :Odd",
    )
    assert errors(harness) == [
        "You can delete only your own messages (an operator: any in the channel).",
        "Too late to delete that message (messages can be deleted for 15 minutes after they"
        " are sent).",
        "The server no longer has that message, so it cannot be deleted.",
        "Could not delete the message: Odd",
    ]
