"""Row conversion and the wording of SQLite errors for operators."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chatroom.storage import StorageCorruptError, StorageUnavailableError
from chatroom.storage.sqlite_db import describe_error, from_row, to_row
from support.history import msg


def test_rows_round_trip() -> None:
    message = msg(account="acct", tags={"+draft/reply": "x", "+bare": ""})
    row = to_row(message)
    assert row[-1] == '{"+draft/reply":"x","+bare":""}'
    assert from_row(row) == message
    assert to_row(msg())[-1] is None  # no tags: NULL, not "{}"


def sqlite_error(name: str, text: str) -> sqlite3.Error:
    error = sqlite3.OperationalError(text)
    error.sqlite_errorname = name
    return error


@pytest.mark.parametrize(
    ("name", "kind", "words"),
    [
        ("SQLITE_FULL", StorageUnavailableError, "disk is full"),
        ("SQLITE_BUSY", StorageUnavailableError, "second server"),
        ("SQLITE_CANTOPEN", StorageUnavailableError, "writable"),
        ("SQLITE_IOERR_WRITE", StorageUnavailableError, "I/O error"),
        ("SQLITE_CORRUPT", StorageCorruptError, "move the file aside"),
        ("SQLITE_NOTADB", StorageCorruptError, "move the file aside"),
        ("SQLITE_MISUSE", StorageUnavailableError, "unexpected"),
    ],
)
def test_errors_name_the_file_and_what_to_do(name: str, kind: type[Exception], words: str) -> None:
    error = describe_error(sqlite_error(name, "boom"), Path("/data/history.db"))
    assert type(error) is kind
    assert "/data/history.db" in str(error) and words in str(error)
