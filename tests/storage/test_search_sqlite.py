"""SQLite's SEARCH plan: the first page of a common word costs a page, not every match,
whether the rows are in the search index or not yet (the tail it has not reached).

Counted in SQLite virtual-machine steps (a progress handler), not timed: the first page of
a word found in 5 times more messages must cost about the same.
"""

from __future__ import annotations

import sqlite3

import pytest

from chatroom.storage import Search, schema
from chatroom.storage.history_sql import INSERT_MESSAGE, to_row
from chatroom.storage.search_sql import search
from chatroom.storage.sqlite_db import add_functions, run
from chatroom.storage.sqlite_index import index_all
from support.history import msg


def _database(matches: int, *, indexed: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    schema.migrate(conn)
    add_functions(conn)
    rows = [
        to_row(msg(f"#room{i % 10}", i, f"common word {i}", source=f"u{i % 7}!u@h"))
        for i in range(matches)
    ]
    conn.executemany(INSERT_MESSAGE.sqlite.sql, rows)
    if indexed:
        index_all(conn)
    return conn


def _steps(conn: sqlite3.Connection, query: Search) -> int:
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0

    conn.set_progress_handler(count, 100)
    try:
        assert len(run(conn, search(query))) == query.limit
    finally:
        conn.set_progress_handler(None, 0)
    return counted[0]


@pytest.mark.parametrize("indexed", [True, False], ids=["indexed", "not-indexed-yet"])
def test_the_first_page_does_not_read_every_match(indexed: bool) -> None:
    small, large = _database(4_000, indexed=indexed), _database(20_000, indexed=indexed)
    for query in (
        Search("common", 20, targets=("#room3",)),
        Search("word", 10, targets=tuple(f"#room{i}" for i in range(10)), sender="u3"),
        Search("wo", 20, targets=("#room3",)),  # too short for a trigram: the rows
        Search("", 20, targets=("#room3", "#room4")),  # no text at all
    ):
        assert _steps(large, query) < 2 * _steps(small, query)


def _sender_database(others: int) -> sqlite3.Connection:
    """The sender u0's 60 messages, the oldest, then *others* messages of other senders,
    every one holding the word."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    schema.migrate(conn)
    add_functions(conn)
    mine = [to_row(msg("#room", i, f"common word {i}", source="u0!u@h")) for i in range(60)]
    rest = [
        to_row(msg("#room", 60 + i, f"common word {i}", source=f"u{1 + i % 50}!u@h"))
        for i in range(others)
    ]
    conn.executemany(INSERT_MESSAGE.sqlite.sql, mine + rest)
    index_all(conn)
    return conn


def test_a_sender_filter_reads_that_sender_not_every_match() -> None:
    query = Search("common", 50, targets=("#room",), sender="u0")
    small, large = _sender_database(1_000), _sender_database(40_000)
    assert _steps(large, query) < 2 * _steps(small, query)
