"""SQLite's search index behind the writes (chatroom.storage.sqlite_index), on real files.

The plan-level tests drive a bare connection, so that what is indexed and what is not is
chosen by the test; the store-level ones check that the writer does it by itself.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from chatroom.storage import Search, StoredMessage, schema
from chatroom.storage.history_sql import INSERT_MESSAGE, purge, redact, retention, to_row
from chatroom.storage.search_sql import search
from chatroom.storage.sqlite import SQLiteHistoryStore
from chatroom.storage.sqlite_db import add_functions, run
from chatroom.storage.sqlite_index import index_all, index_batch, pending
from support.history import msg, store_all
from support.timeouts import eventually


def _open(path: Path, version: int = schema.SCHEMA_VERSION) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    schema.migrate(conn, target_version=version)
    add_functions(conn)
    return conn


def _insert(conn: sqlite3.Connection, messages: list[StoredMessage]) -> None:
    conn.executemany(INSERT_MESSAGE.sqlite.sql, [to_row(m) for m in messages])


def _found(conn: sqlite3.Connection, text: str, *targets: str) -> list[str]:
    return [m.text for m in run(conn, search(Search(text, 100, targets or ("#chan",))))]


def _mark(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT mark FROM search_state").fetchone()[0])


def _check_index(conn: sqlite3.Connection) -> None:
    """FTS5's own check that the index holds exactly what the rows say (all indexed)."""
    assert pending(conn) == 0
    conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")


def test_writes_do_not_index_and_search_reads_the_tail(tmp_path: Path) -> None:
    conn = _open(tmp_path / "h.db")
    texts = ["Une ÉCOLE ici", "école", "something else", "l'École des fans"]
    _insert(conn, [msg(ms=i, text=text) for i, text in enumerate(texts)])
    assert pending(conn) == 4
    assert conn.execute("SELECT count(*) FROM messages_fts_docsize").fetchone() == (0,)
    assert _mark(conn) == 0
    unindexed = _found(conn, "éCOLE")
    assert unindexed == ["l'École des fans", "école", "Une ÉCOLE ici"]
    assert index_batch(conn, 2) == 2  # half: the index below, the tail above the mark
    assert _found(conn, "éCOLE") == unindexed
    assert index_batch(conn, 2) == 0 and pending(conn) == 0
    assert _found(conn, "éCOLE") == unindexed
    _check_index(conn)


def test_deletes_and_redactions_leave_nothing_to_find_on_either_side(tmp_path: Path) -> None:
    conn = _open(tmp_path / "h.db")
    _insert(conn, [msg("#chan", i, f"secret {i}") for i in range(10)])
    _insert(conn, [msg("#gone", 10 + i, f"secret {i}") for i in range(4)])
    index_batch(conn, 5)  # #chan 0-4 indexed, the rest not
    indexed = run(conn, search(Search("secret 3", 5, ("#chan",))))[0]
    tail = run(conn, search(Search("secret 7", 5, ("#chan",))))[0]
    for message in (indexed, tail):
        assert run(conn, redact("#chan", message.msgid, "op!o@h", None)) == 1
    assert _found(conn, "secret 3") == _found(conn, "secret 7") == []
    assert run(conn, purge("#gone", 2)) == 4
    assert _found(conn, "secret", "#gone") == []
    run(conn, retention(schema_ms(conn, 2), None, [], 3))  # the oldest, indexed rows
    assert sorted(_found(conn, "secret")) == [f"secret {i}" for i in (2, 4, 5, 6, 8, 9)]
    index_all(conn)
    assert sorted(_found(conn, "secret")) == [f"secret {i}" for i in (2, 4, 5, 6, 8, 9)]
    _check_index(conn)


def schema_ms(conn: sqlite3.Connection, index: int) -> int:
    """The time (ms) of the *index*-th oldest message."""
    rows = conn.execute("SELECT time FROM messages ORDER BY time LIMIT 1 OFFSET ?", (index,))
    return int(rows.fetchone()[0])


def test_a_seq_reused_after_deleting_the_newest_rows_is_indexed(tmp_path: Path) -> None:
    # seq is the rowid: once the newest rows are gone, SQLite hands their seqs out again.
    conn = _open(tmp_path / "h.db")
    _insert(conn, [msg("#chan", 0, "keep")] + [msg("#old", i, "old words") for i in range(1, 4)])
    index_all(conn)
    assert _mark(conn) == 4
    run(conn, purge("#old", 10))
    assert _mark(conn) == 1  # lowered with the newest rows
    _insert(conn, [msg("#chan", 5, "new words")])
    assert conn.execute("SELECT max(seq) FROM messages").fetchone() == (2,)
    assert _found(conn, "words") == ["new words"]
    index_all(conn)
    assert _found(conn, "words") == ["new words"] and _mark(conn) == 2
    _check_index(conn)


def test_version_4_file_moves_to_the_mark_with_every_row_findable(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    conn = _open(path, version=4)  # its triggers index each row as it is written
    _insert(conn, [msg(ms=i, text=f"old text {i}") for i in range(3)])
    assert schema.migrate(conn) == 4
    assert _mark(conn) == 3 and pending(conn) == 0
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert triggers == {"messages_fts_delete", "messages_fts_update"}
    _insert(conn, [msg(ms=9, text="new text")])
    assert pending(conn) == 1
    assert _found(conn, "text") == ["new text", "old text 2", "old text 1", "old text 0"]
    index_all(conn)
    _check_index(conn)


async def test_the_writer_indexes_by_itself_and_a_restart_resumes(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    conn = _open(path)
    _insert(conn, [msg(ms=i, text=f"before {i}") for i in range(1200)])  # never indexed
    store = await SQLiteHistoryStore.open(path)
    try:
        eventually(lambda: pending(conn) == 0, lambda: f"{pending(conn)} not indexed")
        assert await store_all(store, [msg(ms=2000 + i, text=f"after {i}") for i in range(700)])
        eventually(lambda: pending(conn) == 0, lambda: f"{pending(conn)} not indexed")
        assert _mark(conn) == 1900
        found = await store.search(Search("after 69", 20, ("#chan",)))
        assert [m.text for m in found] == ["after 699", "after 698", "after 697", "after 696",
                                           "after 695", "after 694", "after 693", "after 692",
                                           "after 691", "after 690", "after 69"]  # fmt: skip
    finally:
        await store.close()
    _check_index(conn)


async def test_catch_up_index_returns_once_everything_is_indexed(tmp_path: Path) -> None:
    store = await SQLiteHistoryStore.open(tmp_path / "h.db")
    try:
        for i in range(3000):
            store.append(msg(ms=i, text=f"line {i}"))
        await store.catch_up_index()
        conn = _open(tmp_path / "h.db")
        assert pending(conn) == 0 and _mark(conn) == 3000
    finally:
        await store.close()


async def test_the_idle_indexer_never_waits_for_another_process_lock(tmp_path: Path) -> None:
    # A --workers sibling (or a backup) holds the write lock: waiting for it in the idle
    # indexer would make the next append wait twice. It gives up at once and tries again
    # after the next write.
    path = tmp_path / "h.db"
    store = await SQLiteHistoryStore.open(path, busy_timeout=60.0)
    holder = _open(path)
    try:
        _insert(holder, [msg(ms=i, text=f"line {i}") for i in range(600)])  # not indexed
        holder.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        store._index_some()  # what the writer runs when idle (its thread waits on the queue)
        assert time.monotonic() - started < 30  # not the 60 s busy timeout
        assert _mark(holder) == 0 and not store._index_pending
        holder.execute("ROLLBACK")
        assert await store_all(store, [msg(ms=700, text="after")]) == [True]
        eventually(lambda: pending(holder) == 0, lambda: f"{pending(holder)} not indexed")
    finally:
        await store.close()
        holder.close()
