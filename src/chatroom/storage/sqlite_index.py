"""SQLite's search index, kept behind the writes: messages are stored at full speed and
indexed in the background, a batch at a time, by the writer thread when it is idle.

The rules this file keeps:

* ``search_state.mark`` is the index's high-water mark: every message with ``seq <= mark``
  is in ``messages_fts``, none above it is. A batch indexes the rows above the mark and
  moves the mark in the same transaction, so a crash (``kill -9``) loses nothing and a
  restart resumes from the mark.
* SEARCH reads the index up to the mark and scans the rows above it (the unindexed tail,
  see :mod:`chatroom.storage.history_sql`), so a message is found the moment it is stored.
* Deletes (PURGE, retention) and edits (redaction) of an indexed row update the index in
  the same statement (triggers); those of a row above the mark need nothing, the batch will
  read the row as it is then. Nothing deleted can be found.
* ``seq`` is SQLite's rowid (no AUTOINCREMENT): once the newest rows are deleted a new row
  may reuse a seq at or below the mark, so deleting the newest row lowers the mark to the
  newest row left (in the delete trigger), and a reused seq is always above the mark.
"""

from __future__ import annotations

import sqlite3

__all__ = ["INDEX_BATCH", "SEARCH_BEHIND_WRITES", "index_all", "index_batch", "pending"]

#: Rows one background transaction indexes (a few ms): appends wait at most that long.
INDEX_BATCH = 500

# The migration (schema version 5) from the synchronous triggers of version 3.
SEARCH_BEHIND_WRITES = (
    "DROP TRIGGER messages_fts_insert",
    "DROP TRIGGER messages_fts_delete",
    "DROP TRIGGER messages_fts_update",
    "CREATE TABLE search_state (mark INTEGER NOT NULL)",
    # Version 3's triggers indexed every row already: all of them are below the mark.
    "INSERT INTO search_state (mark) SELECT coalesce(max(seq), 0) FROM messages",
    # One trigger, not two: the index entry must go before the mark may move below it.
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text)
            SELECT 'delete', old.seq, old.text WHERE old.seq <= (SELECT mark FROM search_state);
        UPDATE search_state SET mark = (SELECT coalesce(max(seq), 0) FROM messages)
            WHERE mark >= old.seq AND mark > (SELECT coalesce(max(seq), 0) FROM messages);
    END""",
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
    WHEN old.seq <= (SELECT mark FROM search_state) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
        INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
    END""",
)

_STATE = "SELECT mark, (SELECT coalesce(max(seq), 0) FROM messages) FROM search_state"
_INDEX = (
    "INSERT INTO messages_fts (rowid, text)"
    " SELECT seq, text FROM messages WHERE seq > ? AND seq <= ?"
)
_MOVE = "UPDATE search_state SET mark = ?"


def pending(conn: sqlite3.Connection) -> int:
    """How many seqs above the mark are not indexed yet (an upper bound on the rows)."""
    mark, last = conn.execute(_STATE).fetchone()
    return max(int(last) - int(mark), 0)


def index_batch(conn: sqlite3.Connection, size: int = INDEX_BATCH) -> int:
    """Index the next *size* seqs above the mark in one transaction of its own; return how
    many seqs are left to index after it (0: the index has caught up).

    *conn* is the writing connection, in autocommit mode, outside any transaction.
    sqlite3 errors propagate after the rollback: the mark stays where it was.
    """
    if not pending(conn):  # a read: no write lock taken when there is nothing to do
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:  # again under the lock: another process (--workers) may have moved the mark
        mark, last = (int(value) for value in conn.execute(_STATE).fetchone())
        upto = min(mark + size, last)
        if upto > mark:
            conn.execute(_INDEX, (mark, upto))
            conn.execute(_MOVE, (upto,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return max(last - upto, 0)


def index_all(conn: sqlite3.Connection) -> None:
    """Index everything above the mark (tests and tools that write with a bare connection)."""
    while index_batch(conn, 50_000):
        pass
