"""The storage error tree: one root, under chatroom's, and sentences for operators."""

from __future__ import annotations

from chatroom.errors import ChatroomError
from chatroom.storage import (
    SchemaError,
    StorageCorruptError,
    StorageError,
    StorageUnavailableError,
    StoreClosedError,
    UnknownMessageError,
)


def test_every_storage_error_is_a_chatroom_error() -> None:
    assert issubclass(StorageError, ChatroomError)
    for error in (UnknownMessageError, StorageUnavailableError, SchemaError):
        assert issubclass(error, StorageError)
    assert issubclass(StorageCorruptError, StorageUnavailableError)
    assert issubclass(StoreClosedError, StorageUnavailableError)


def test_errors_read_as_sentences() -> None:
    unknown = UnknownMessageError("#lobby", "abc")
    assert str(unknown) == "no message with msgid 'abc' in the history of '#lobby'."
    assert (unknown.target, unknown.msgid) == ("#lobby", "abc")
    assert str(StoreClosedError()) == "the history store is closed."
