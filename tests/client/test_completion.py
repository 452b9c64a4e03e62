"""Tab completion over buffer snapshots."""

from __future__ import annotations

from chatroom.client.completion import complete_word
from chatroom.client.model import ChatModel, Member


def model_with_people() -> ChatModel:
    model = ChatModel()
    room, _ = model.open("#lobby")
    room.members = {n.lower(): Member(n) for n in ("alice", "Albert", "bob", "me")}
    model.open("#dev")
    model.open("alfred")
    model.set_active(room)
    return model


def complete(model: ChatModel, word: str, first: bool = False) -> list[str]:
    return complete_word(
        word,
        first=first,
        active=model.view(model.active_buffer),
        buffers=model.views(),
        own_nick="me",
    )


def test_nicks_complete_case_insensitively() -> None:
    model = model_with_people()
    assert complete(model, "al") == ["Albert", "alfred", "alice"]
    assert complete(model, "B") == ["bob"]


def test_own_nick_is_not_offered() -> None:
    assert complete(model_with_people(), "m") == []


def test_commands_complete_only_as_first_word() -> None:
    model = model_with_people()
    assert complete(model, "/jo", first=True) == ["/join"]
    assert complete(model, "/jo", first=False) == []


def test_rooms_complete() -> None:
    assert complete(model_with_people(), "#") == ["#dev", "#lobby"]
