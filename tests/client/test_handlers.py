"""The client's reading of server lines, one handler at a time (no network)."""

from __future__ import annotations

from chatroom.client.events import (
    ActiveBufferChanged,
    MessageAdded,
    NickRequired,
    NickTaken,
    OwnNickChanged,
    Ready,
    Registered,
)
from chatroom.client.model import BufferKind, MessageKind
from support.client_protocol import Harness


def last_text(h: Harness, buffer: str) -> str:
    found = h.client.model.get(buffer)
    assert found is not None
    return found.messages[-1].text


def test_cap_negotiation_requests_what_both_sides_know() -> None:
    h = Harness()
    h.feed(":srv CAP * LS * :server-time batch sasl", ":srv CAP * LS :echo-message foo=bar")
    assert h.conn.texts()[-1] == "CAP REQ :server-time echo-message batch"
    h.feed(":srv CAP * ACK :server-time echo-message batch")
    assert h.client.caps == {"server-time", "echo-message", "batch"}
    assert h.conn.texts()[-1] == "CAP END"


def test_cap_nak_still_ends_negotiation() -> None:
    h = Harness()
    h.feed(":srv CAP * LS :server-time", ":srv CAP * NAK :server-time")
    assert h.conn.texts()[-1] == "CAP END" and not h.client.caps


def test_welcome_records_nick_and_source_then_joins_rooms() -> None:
    h = Harness().register()
    assert h.client.registered and h.client.source == "alice!~alice@127.0.0.1"
    assert h.of(Registered) == [Registered("alice", False)]
    assert h.conn.texts()[-1] == "JOIN #lobby"
    assert h.client.isupport["NICKLEN"] == "32"


def test_join_activates_the_first_room_and_fills_members() -> None:
    h = Harness().register().join(names="@alice +carol bob!~b@host")
    lobby = h.client.model.get("#lobby")
    assert lobby is not None and lobby.joined
    assert h.client.model.active_buffer is lobby
    assert [m.display for m in lobby.sorted_members()] == ["@alice", "+carol", "bob"]
    assert h.of(Ready) == [Ready(("#lobby",))]
    assert lobby.messages[0].text == "You have joined #lobby"
    assert last_text(h, "#lobby") == "3 people in #lobby: @alice, +carol, bob"
    assert isinstance(h.of(ActiveBufferChanged)[0], ActiveBufferChanged)


def test_others_joining_parting_and_quitting_read_as_sentences() -> None:
    h = Harness().register().join()
    h.feed(":dave!~d@h JOIN #lobby")
    assert last_text(h, "#lobby") == "dave has joined #lobby. Say hi!"
    h.feed(":dave!~d@h PART #lobby :bored")
    assert last_text(h, "#lobby") == "dave has left #lobby (bored)"
    h.feed(":bob!~b@h QUIT :Quit: bye")
    assert last_text(h, "#lobby") == "bob has left the chat (Quit: bye)"
    lobby = h.client.model.get("#lobby")
    assert lobby is not None and list(lobby.members) == ["alice"]


def test_privmsg_with_server_time_echo_and_mention() -> None:
    h = Harness().register().join()
    h.feed("@time=2026-11-25T10:00:00.000Z;msgid=m1 :bob!~b@h PRIVMSG #lobby :hi alice")
    message = h.client.model.active_buffer.messages[-1]
    assert (message.sender, message.text, message.msgid) == ("bob", "hi alice", "m1")
    assert message.mention and not message.own and message.time.hour == 10
    h.feed(":alice!~a@h PRIVMSG #lobby :my own words")
    own = h.client.model.active_buffer.messages[-1]
    assert own.own and not own.mention


def test_action_and_private_message_open_a_private_buffer() -> None:
    h = Harness().register().join()
    h.feed(":bob!~b@h PRIVMSG alice :\x01ACTION waves\x01")
    bob = h.client.model.get("bob")
    assert bob is not None and bob.kind is BufferKind.PRIVATE
    message = bob.messages[-1]
    assert message.kind is MessageKind.ACTION and message.text == "waves" and message.mention
    assert bob.unread == 1 and bob.mentioned
    added = h.of(MessageAdded)[-1]
    assert isinstance(added, MessageAdded) and not added.active


def test_echo_of_our_private_message_goes_to_the_recipient_buffer() -> None:
    h = Harness().register().join()
    h.feed(":alice!~a@h PRIVMSG bob :psst")
    bob = h.client.model.get("bob")
    assert bob is not None and bob.messages[-1].own


def test_ctcp_version_is_answered_quietly() -> None:
    h = Harness().register()
    h.feed(":bob!~b@h PRIVMSG alice :\x01VERSION\x01")
    assert h.conn.texts()[-1].startswith("NOTICE bob :\x01VERSION chatroom")
    assert h.client.model.get("bob") is None


def test_server_notice_goes_to_the_server_buffer() -> None:
    h = Harness().register()
    h.feed(":srv NOTICE * :*** Looking up your hostname")
    assert h.client.model.server.messages[-1].kind is MessageKind.NOTICE


def test_nick_changes_rename_members_and_private_buffers() -> None:
    h = Harness().register().join()
    h.feed(":bob!~b@h PRIVMSG alice :hi")
    h.feed(":bob!~b@h NICK robert")
    lobby = h.client.model.get("#lobby")
    assert lobby is not None and "robert" in lobby.members and "bob" not in lobby.members
    assert h.client.model.get("robert") is not None and h.client.model.get("bob") is None
    assert last_text(h, "#lobby") == "bob is now known as robert"
    h.feed(":alice!~alice@127.0.0.1 NICK alicia")
    assert h.client.nick == "alicia" and h.client.source == "alicia!~alice@127.0.0.1"
    assert h.of(OwnNickChanged) == [OwnNickChanged("alicia")]
    assert last_text(h, "#lobby") == "You are now known as alicia"


def test_kick_of_us_leaves_the_room() -> None:
    h = Harness().register().join()
    h.feed(":bob!~b@h KICK #lobby alice :behave")
    lobby = h.client.model.get("#lobby")
    assert lobby is not None and not lobby.joined and not lobby.members
    assert last_text(h, "#lobby") == "You were kicked from #lobby by bob (behave)"


def test_topic_and_modes() -> None:
    h = Harness().register().join()
    h.feed(":srv 332 alice #lobby :Welcome all")
    lobby = h.client.model.get("#lobby")
    assert lobby is not None and lobby.topic == "Welcome all"
    h.feed(":alice!~a@h TOPIC #lobby :New topic")
    assert lobby.topic == "New topic" and last_text(h, "#lobby") == "alice set the topic: New topic"
    h.feed(":alice!~a@h MODE #lobby +kv secret bob")
    assert lobby.members["bob"].prefixes == "+"
    h.feed(":alice!~a@h MODE #lobby +o-v bob bob")
    assert lobby.members["bob"].prefixes == "@"
    assert last_text(h, "#lobby") == "alice sets mode +o-v bob bob"


def test_nick_taken_tries_underscores_then_asks() -> None:
    h = Harness()
    for expected in ("alice_", "alice__", "alice___", "alice____"):
        h.feed(f":srv 433 * {h.client.nick} :Nickname is already in use")
        assert h.client.nick == expected
        assert h.conn.texts()[-1] == f"NICK {expected}"
    h.feed(":srv 433 * alice____ :Nickname is already in use")
    assert h.of(NickTaken)[0] == NickTaken("alice", "alice_")
    assert h.of(NickRequired) == [NickRequired("The name alice____ is taken.")]
    assert h.client.nick is None


def test_erroneous_nick_asks_again() -> None:
    h = Harness(nick="9lives")
    h.feed(":srv 432 * 9lives :Erroneous nickname")
    required = h.of(NickRequired)
    assert len(required) == 1 and "9lives" in str(required[0])


def test_error_numerics_show_in_the_active_buffer() -> None:
    h = Harness().register().join()
    h.feed(":srv 401 alice nobody :No such nick/channel")
    message = h.client.model.active_buffer.messages[-1]
    assert message.kind is MessageKind.ERROR and message.text == "nobody: No such nick/channel"


def test_refused_join_still_makes_the_client_ready() -> None:
    h = Harness(rooms=("#full",)).register()
    h.feed(":srv 471 alice #full :Cannot join channel (+l)")
    assert h.of(Ready) == [Ready(("#full",))]


def test_list_replies_are_shown_together() -> None:
    h = Harness().register().join()
    h.feed(
        ":srv 321 alice Channel :Users  Name",
        ":srv 322 alice #lobby 3 :Welcome",
        ":srv 322 alice #dev 1 :",
        ":srv 323 alice :End of /LIST",
    )
    texts = [m.text for m in h.client.model.active_buffer.messages][-3:]
    assert texts == ["Rooms (2):", "  #dev (1 person)", "  #lobby (3 people): Welcome"]


def test_ping_is_answered() -> None:
    h = Harness()
    h.feed("PING :abc")
    assert h.conn.texts()[-1] == "PONG abc"


def test_malformed_lines_are_ignored() -> None:
    h = Harness().register()
    h.feed(":srv 353 alice", ":x JOIN", ":x PRIVMSG #a", ":srv KICK #a", ":srv 001")
