"""The synchronous SQLite side of the history store: connections, rows, error wording.

Everything here runs on the store's writer or reader thread, never on the event loop;
:mod:`chatroom.storage.sqlite` does the threading.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from .base import MessageKind, StoredMessage, from_ms
from .errors import StorageCorruptError, StorageError, StorageUnavailableError
from .query import Key
from .schema import check_compatible, migrate

__all__ = [
    "INSERT",
    "INSERT_DM",
    "Reader",
    "Row",
    "describe_error",
    "from_row",
    "open_writer",
    "to_row",
]

COLUMNS = "msgid, time, target, kind, source, account, target_param, text, tags"
INSERT = f"INSERT INTO messages ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_DM = "INSERT OR IGNORE INTO dm_participants (nick, target) VALUES (?, ?)"
SCAN = (
    f"SELECT {COLUMNS} FROM messages WHERE target = ? AND (time, seq) > (?, ?)"
    " AND (time, seq) < (?, ?) ORDER BY time {0}, seq {0} LIMIT ?"
)
SCAN_ASC = SCAN.format("ASC")
SCAN_DESC = SCAN.format("DESC")

Row = tuple[str, int, str, str, str, str | None, str, str, str | None]


def to_row(message: StoredMessage) -> Row:
    tags = json.dumps(dict(message.tags), separators=(",", ":")) if message.tags else None
    return (
        message.msgid,
        message.time_ms,
        message.target,
        message.kind.value,
        message.source,
        message.account,
        message.target_param,
        message.text,
        tags,
    )


def from_row(row: Row) -> StoredMessage:
    msgid, ms, target, kind, source, account, target_param, text, tags = row
    return StoredMessage(
        msgid,
        from_ms(ms),
        target,
        MessageKind(kind),
        source,
        target_param,
        text,
        account,
        json.loads(tags) if tags else {},
    )


def describe_error(exc: sqlite3.Error, path: Path) -> StorageError:
    """Turn an sqlite3 error into our error tree, worded for the operator."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StorageCorruptError(
            f"the history database {path} is damaged or not a database ({exc}): stop the "
            "server and move the file aside (its -wal and -shm files too) to start afresh."
        )
    if name.startswith("SQLITE_FULL"):
        hint = "the disk is full, or the history size limit was reached: free some space"
    elif name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        hint = (
            "another process holds the database locked: is a second server using the same "
            "data directory?"
        )
    elif name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_READONLY", "SQLITE_AUTH")):
        hint = "check that the data directory exists and is writable by the server"
    elif name.startswith("SQLITE_IOERR"):
        hint = "the disk reported an I/O error"
    else:
        hint = "unexpected database error"
    return StorageUnavailableError(f"history database {path}: {exc} ({hint}).")


def open_writer(path: Path, busy_timeout: float, max_bytes: int | None) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    try:
        check_compatible(conn)  # before WAL mode alters the header of a file we must not touch
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode != "wal":
            raise StorageUnavailableError(
                f"history database {path}: could not switch to WAL mode (got {mode!r})."
            )
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: survives a process kill
        conn.execute("PRAGMA cache_size = -32768")  # 32 MiB: random msgids hit the whole index
        conn.execute("PRAGMA journal_size_limit = 67108864")  # truncate the WAL back to 64 MiB
        migrate(conn)
        if max_bytes is not None:
            (page_size,) = conn.execute("PRAGMA page_size").fetchone()
            conn.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page_size)}")
    except BaseException:
        conn.close()
        raise
    return conn


class Reader:
    """The query side: :class:`~chatroom.storage.query.HistoryIndex` over a read connection.

    Used only from the store's single reader thread.
    """

    def __init__(self, path: Path, busy_timeout: float) -> None:
        self.conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        self.conn.execute("PRAGMA query_only = 1")

    def key_of(self, target: str, msgid: str) -> Key | None:
        row = self.conn.execute(
            "SELECT time, seq FROM messages WHERE msgid = ? AND target = ?", (msgid, target)
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def scan(
        self, target: str, lo: Key, hi: Key, limit: int, newest_first: bool
    ) -> list[StoredMessage]:
        if limit <= 0:
            return []
        sql = SCAN_DESC if newest_first else SCAN_ASC
        rows = self.conn.execute(sql, (target, *lo, *hi, limit)).fetchall()
        return [from_row(row) for row in rows]

    def latest_time(self, target: str, lo_ms: int, hi_ms: int) -> int | None:
        row = self.conn.execute(
            "SELECT time FROM messages WHERE target = ? AND time > ? AND time < ?"
            " ORDER BY time DESC LIMIT 1",
            (target, lo_ms, hi_ms),
        ).fetchone()
        return None if row is None else int(row[0])

    def dm_targets(self, nick: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT target FROM dm_participants WHERE nick = ? ORDER BY target", (nick,)
        ).fetchall()
        return [str(row[0]) for row in rows]

    def targets_over(self, count: int) -> list[str]:
        rows = self.conn.execute(
            "SELECT target FROM messages GROUP BY target HAVING count(*) > ?", (count,)
        ).fetchall()
        return [str(row[0]) for row in rows]
