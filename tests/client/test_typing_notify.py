"""Typing notifications in the client core (https://ircv3.net/specs/client-tags/typing):
the pure sender and watcher with a clock passed in, then the protocol, lines in
and lines out. Nothing sleeps."""

from __future__ import annotations

from chatroom.client.events import TypingChanged
from chatroom.client.typing_notify import (
    ACTIVE_FOR,
    PAUSED_AFTER,
    PAUSED_FOR,
    THROTTLE,
    TypingSender,
    TypingWatch,
    is_typing_text,
    typing_text,
)
from chatroom.protocol import parse
from support.client_protocol import chatting, sent

# -- sending -----------------------------------------------------------------------


def test_active_while_typing_at_most_every_three_seconds() -> None:
    sender = TypingSender()
    sent = [sender.text_changed("#room", "h" * (i + 1), i * 0.5) for i in range(13)]
    # Keys at 0, 0.5, ... 6 s: active at 0, 3 and 6, nothing between.
    assert [i * 0.5 for i, out in enumerate(sent) if out] == [0.0, THROTTLE, 2 * THROTTLE]
    assert all(out in ([], [("#room", "active")]) for out in sent)


def test_paused_once_after_a_while_without_typing() -> None:
    sender = TypingSender()
    sender.text_changed("#room", "hello", 0.0)
    assert sender.tick(PAUSED_AFTER - 0.1) == []
    assert sender.tick(PAUSED_AFTER) == [("#room", "paused")]
    assert sender.tick(PAUSED_AFTER + 10) == []
    # Typing again after the pause is active at once (3 s have passed).
    assert sender.text_changed("#room", "hello!", 20.0) == [("#room", "active")]


def test_clearing_the_text_sends_done_once_when_the_throttle_allows() -> None:
    sender = TypingSender()
    sender.text_changed("#room", "h", 0.0)
    assert sender.text_changed("#room", "", 1.0) == []  # within 3 s of active
    assert sender.tick(2.0) == []
    assert sender.tick(THROTTLE) == [("#room", "done")]
    assert sender.tick(THROTTLE + 1) == []
    assert sender.text_changed("#room", "", 10.0) == []  # nothing typed: nothing to end


def test_a_sent_message_ends_typing_without_done() -> None:
    sender = TypingSender()
    sender.text_changed("bob", "hi", 0.0)
    sender.message_sent("BOB")
    assert sender.tick(PAUSED_AFTER + THROTTLE) == []


def test_commands_and_other_buffers() -> None:
    assert not is_typing_text("/join #x") and not is_typing_text("   ")
    assert is_typing_text("//not a command") and is_typing_text("hi")
    sender = TypingSender()
    assert sender.text_changed("#a", "/msg", 0.0) == []
    assert sender.text_changed(None, "typing in the server buffer", 0.0) == []
    assert sender.text_changed("#a", "hi", 0.0) == [("#a", "active")]
    # Moving to another buffer with text ends typing in the first (when allowed).
    assert sender.text_changed("#b", "hi", 1.0) == [("#b", "active")]
    assert sender.tick(THROTTLE) == [("#a", "done")]


# -- receiving ---------------------------------------------------------------------


def test_who_is_typing_expires_as_the_spec_says() -> None:
    watch = TypingWatch()
    assert watch.received("#room", "alice", "active", 0.0)
    assert not watch.received("#room", "alice", "active", 3.0)  # no change to show
    assert watch.received("#ROOM", "bob", "paused", 3.0)
    assert watch.typing("#room") == ("alice", "bob")
    assert watch.expire(3.0 + ACTIVE_FOR - 0.1) == []
    assert watch.expire(3.0 + ACTIVE_FOR) == ["#room"]
    assert watch.typing("#room") == ("bob",)
    assert watch.expire(3.0 + PAUSED_FOR) == ["#room"]
    assert watch.typing("#room") == ()


def test_done_and_unknown_states() -> None:
    watch = TypingWatch()
    assert not watch.received("#r", "alice", "bogus", 0.0)
    assert watch.received("#r", "alice", "active", 0.0)
    assert watch.received("#r", "Alice", "done", 1.0)
    assert watch.typing("#r") == ()


def test_the_line_shown() -> None:
    assert typing_text(()) == ""
    assert typing_text(("alice",)) == "alice is typing…"
    assert typing_text(("alice", "bob")) == "alice and bob are typing…"
    assert typing_text(("a", "b", "c")) == "3 people are typing…"


# -- the protocol ------------------------------------------------------------------


def test_protocol_sends_typing_for_the_active_buffer() -> None:
    protocol = chatting()
    assert protocol.model.active_buffer.name == "#room"
    protocol.input_changed("h", 0.0)
    protocol.input_changed("he", 0.5)
    assert sent(protocol) == ["@+typing=active TAGMSG #room"]
    protocol.tick(0.5 + PAUSED_AFTER)
    assert sent(protocol) == ["@+typing=paused TAGMSG #room"]
    protocol.submit("hello")
    assert sent(protocol) == ["PRIVMSG #room :hello"]
    protocol.input_changed("", 6.0)  # the UI clears its input after sending
    protocol.tick(20.0)
    assert sent(protocol) == []


def test_protocol_sends_nothing_without_message_tags_or_when_turned_off() -> None:
    for protocol in (chatting(caps=()), chatting(send_typing=False)):
        protocol.input_changed("hello", 0.0)
        protocol.tick(PAUSED_AFTER)
        assert sent(protocol) == []


def test_protocol_shows_who_is_typing_until_they_speak_or_stop() -> None:
    protocol = chatting()
    protocol.tick(100.0)
    protocol.receive_line(parse("@+typing=active :alice!a@h TAGMSG #room"))
    assert protocol.events_received() == [TypingChanged("#room", ("alice",))]
    protocol.receive_line(parse(":alice!a@h PRIVMSG #room :done typing"))
    assert TypingChanged("#room", ()) in protocol.events_received()
    protocol.receive_line(parse("@+typing=active :alice!a@h TAGMSG #room"))
    protocol.events_received()
    protocol.tick(100.0 + ACTIVE_FOR)
    assert protocol.events_received() == [TypingChanged("#room", ())]
    # Our own echo, a server's TAGMSG, and unknown private senders show nothing.
    for text in (
        "@+typing=active :me!u@h TAGMSG #room",
        "@+typing=active :srv TAGMSG #room",
        "@+typing=active :stranger!s@h TAGMSG me",
        ":alice!a@h TAGMSG #room",
    ):
        protocol.receive_line(parse(text))
    assert protocol.events_received() == []


def test_protocol_forgets_typing_on_quit_part_and_disconnect() -> None:
    protocol = chatting()
    for nick in ("alice", "bob", "carol"):
        protocol.receive_line(parse(f"@+typing=active :{nick}!x@h TAGMSG #room"))
    protocol.events_received()
    protocol.receive_line(parse(":alice!a@h QUIT :bye"))
    protocol.receive_line(parse(":bob!b@h PART #room"))
    changes = [e for e in protocol.events_received() if isinstance(e, TypingChanged)]
    assert changes == [TypingChanged("#room", ("bob", "carol")), TypingChanged("#room", ("carol",))]
    protocol.connection_lost()
    assert TypingChanged("#room", ()) in protocol.events_received()
