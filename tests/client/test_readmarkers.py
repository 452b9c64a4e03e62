"""Read markers in the client core (chatroom.client.readmarkers): what is sent when the
UI reports a buffer as read, and how the server's MARKREAD moves unread counts and the
"new messages" line (https://ircv3.net/specs/extensions/read-marker)."""

from __future__ import annotations

from chatroom.client.events import ActiveBufferChanged
from support.client_protocol import Harness

T0 = "2026-01-02T03:04:05.000Z"
T1 = "2026-01-02T03:04:06.000Z"
T2 = "2026-01-02T03:04:07.500Z"


def said(sender: str, target: str, when: str, text: str) -> str:
    return f"@time={when} :{sender}!~{sender}@h PRIVMSG {target} :{text}"


def setup(caps: bool = True) -> Harness:
    """alice in #lobby and #side (the active one), bob says three things in #lobby."""
    harness = Harness(rooms=()).register()
    if caps:
        harness.client.caps.add("draft/read-marker")
    harness.join("#lobby").join("#side")
    harness.client.switch_to("#side")
    harness.feed(said("bob", "#lobby", T0, "one"), said("bob", "#lobby", T1, "two"))
    harness.feed(said("bob", "#lobby", T2, "alice: three"))
    harness.conn.sent.clear()
    return harness


def lobby(harness: Harness) -> tuple[int, bool]:
    buffer = harness.client.model.get("#lobby")
    assert buffer is not None
    return buffer.unread, buffer.mentioned


def test_reading_a_buffer_sends_markread_with_its_newest_message() -> None:
    harness = setup()
    harness.client.switch_to("#lobby")
    assert harness.client.mark_read()
    assert harness.conn.texts() == [f"MARKREAD #lobby timestamp={T2}"]
    assert not harness.client.mark_read()  # nothing newer: nothing sent again
    assert harness.conn.texts() == [f"MARKREAD #lobby timestamp={T2}"]


def test_without_the_cap_nothing_is_sent() -> None:
    harness = setup(caps=False)
    harness.client.switch_to("#lobby")
    assert not harness.client.mark_read()
    assert harness.conn.texts() == []


def test_a_marker_from_another_device_clears_the_unread_count() -> None:
    harness = setup()
    assert lobby(harness) == (3, True)
    harness.feed(f":srv MARKREAD #lobby timestamp={T1}")
    assert lobby(harness) == (1, True)  # "alice: three" is still unread
    harness.feed(f":srv MARKREAD #LOBBY timestamp={T2}")
    assert lobby(harness) == (0, False)
    harness.feed(f":srv MARKREAD #lobby timestamp={T0}")  # never backwards
    assert lobby(harness) == (0, False)


def test_a_star_marker_changes_nothing() -> None:
    harness = setup()
    harness.feed(":srv MARKREAD #lobby timestamp=*", ":srv MARKREAD #nowhere timestamp=*")
    assert lobby(harness) == (3, True)


def test_the_new_messages_line_follows_the_marker() -> None:
    harness = setup()
    harness.feed(f":srv MARKREAD #lobby timestamp={T0}")
    harness.client.switch_to("#lobby")
    (event,) = harness.of(ActiveBufferChanged)[-1:]
    assert isinstance(event, ActiveBufferChanged)
    assert event.new_from is not None
    assert event.backlog[event.new_from].text == "two"


def test_without_a_marker_the_line_comes_before_the_local_unread() -> None:
    harness = setup(caps=False)
    harness.client.switch_to("#lobby")
    event = harness.of(ActiveBufferChanged)[-1]
    assert isinstance(event, ActiveBufferChanged)
    assert event.new_from is not None
    assert event.backlog[event.new_from].text == "one"


def test_nothing_unread_means_no_line() -> None:
    harness = setup()
    harness.feed(f":srv MARKREAD #lobby timestamp={T2}")
    harness.client.switch_to("#lobby")
    event = harness.of(ActiveBufferChanged)[-1]
    assert isinstance(event, ActiveBufferChanged) and event.new_from is None


def test_a_malformed_markread_is_ignored() -> None:
    harness = setup()
    harness.feed(":srv MARKREAD #lobby yesterday", ":srv MARKREAD #lobby")
    assert lobby(harness) == (3, True)
