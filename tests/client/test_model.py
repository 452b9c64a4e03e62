"""The buffer model: buffers, unread counts, mentions, renames."""

from __future__ import annotations

from datetime import UTC, datetime

from chatroom.client.model import (
    SERVER_BUFFER,
    BufferKind,
    ChatModel,
    Member,
    Message,
    MessageKind,
    mentions,
    parse_server_time,
)


def msg(text: str, *, kind: MessageKind = MessageKind.MESSAGE, mention: bool = False) -> Message:
    return Message(datetime.now(UTC), kind, "bob", text, mention=mention)


def test_server_buffer_is_first_and_active() -> None:
    model = ChatModel()
    assert [b.name for b in model.buffers] == [SERVER_BUFFER]
    assert model.active_buffer.kind is BufferKind.SERVER


def test_open_guesses_kind_and_is_case_insensitive() -> None:
    model = ChatModel()
    room, created = model.open("#Lobby")
    assert created and room.kind is BufferKind.CHANNEL and not room.joined
    same, created = model.open("#lobby")
    assert same is room and not created
    person, _ = model.open("Bob")
    assert person.kind is BufferKind.PRIVATE and person.joined
    assert model.get("BOB") is person


def test_unread_counts_only_chat_in_inactive_buffers() -> None:
    model = ChatModel()
    room, _ = model.open("#lobby")
    model.add(room, msg("hi"))
    model.add(room, msg("joined", kind=MessageKind.JOIN))
    assert room.unread == 1 and not room.mentioned
    model.add(room, msg("alice!", mention=True))
    assert room.unread == 2 and room.mentioned
    model.set_active(room)
    assert room.unread == 0 and not room.mentioned
    model.add(room, msg("seen"))
    assert room.unread == 0


def test_find_by_number_name_and_prefix() -> None:
    model = ChatModel()
    lobby, _ = model.open("#lobby")
    dev, _ = model.open("#dev")
    assert model.find("2") is lobby
    assert model.find("3") is dev
    assert model.find("9") is None
    assert model.find("#DEV") is dev
    assert model.find("lob") is lobby


def test_close_moves_the_active_buffer_back() -> None:
    model = ChatModel()
    lobby, _ = model.open("#lobby")
    bob, _ = model.open("bob")
    model.set_active(bob)
    assert model.close("bob")
    assert model.active_buffer is lobby
    assert not model.close(SERVER_BUFFER)


def test_rename_keeps_place_and_active() -> None:
    model = ChatModel()
    model.open("#lobby")
    bob, _ = model.open("bob")
    model.set_active(bob)
    model.rename("bob", "robert")
    assert [b.name for b in model.buffers][-1] == "robert"
    assert model.active_buffer is bob and model.get("bob") is None


def test_view_is_a_snapshot_sorted_by_status() -> None:
    model = ChatModel()
    room, _ = model.open("#lobby")
    room.members = {"zed": Member("zed", "@"), "amy": Member("amy"), "bo": Member("bo", "+")}
    view = model.view(room)
    assert [m.display for m in view.members] == ["@zed", "+bo", "amy"]
    assert view.number == 2 and not view.active
    room.topic = "changed"
    assert view.topic == ""


def test_buffers_with_finds_rooms_and_private_chat() -> None:
    model = ChatModel()
    room, _ = model.open("#lobby")
    room.members["bob"] = Member("bob")
    other, _ = model.open("#dev")
    chat, _ = model.open("Bob")
    assert model.buffers_with("BOB") == [room, chat]
    assert other not in model.buffers_with("bob")


def test_mentions_matches_whole_nick_only() -> None:
    assert mentions("alice: hi", "alice")
    assert mentions("hey @Alice!", "alice")
    assert not mentions("malice aforethought", "alice")
    assert not mentions("alice_ there", "alice")
    assert mentions("[x] ping", "[x]")


def test_server_time_parsing() -> None:
    when = parse_server_time("2026-11-25T12:00:01.250Z")
    assert when == datetime(2026, 11, 25, 12, 0, 1, 250000, tzinfo=UTC)
    assert parse_server_time("garbage").tzinfo is not None
    assert parse_server_time(None).tzinfo is not None
