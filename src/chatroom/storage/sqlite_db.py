"""The synchronous SQLite side of the stores: connections, error wording, the plan driver.

Everything here runs on a store's own threads, never on the event loop;
:mod:`chatroom.storage.sqlite` and :mod:`chatroom.storage.accounts_sqlite` do the threading.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TypeVar, cast

from .errors import StorageCorruptError, StorageError, StorageUnavailableError
from .history_sql import Row, from_row, to_row
from .schema import check_compatible, migrate
from .sql import Answer, Commit, Sql, SqlPlan

__all__ = [
    "Row",
    "add_functions",
    "advance",
    "describe_error",
    "from_row",
    "open_reader",
    "open_writer",
    "run",
    "to_row",
]

T = TypeVar("T")

#: What the operator is told, per file, when it is damaged or the disk is full.
_CORRUPT_ADVICE = {
    "history": "move the file aside (its -wal and -shm files too) to start afresh",
    "account": "restore it from a backup",
}
_FULL_HINT = {
    "history": "the disk is full, or the history size limit was reached: free some space",
    "account": "the disk is full",
}


def describe_error(exc: sqlite3.Error, path: Path, what: str = "history") -> StorageError:
    """Turn an sqlite3 error into our error tree, worded for the operator; *what* is the
    file ("history", "account")."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StorageCorruptError(
            f"the {what} database {path} is damaged or not a database ({exc}): stop the "
            f"server and {_CORRUPT_ADVICE[what]}."
        )
    if name.startswith("SQLITE_FULL"):
        hint = _FULL_HINT[what]
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
    return StorageUnavailableError(f"{what} database {path}: {exc} ({hint}).")


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


def open_reader(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A read-only connection for the history store's reader thread."""
    conn = sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA query_only = 1")
    add_functions(conn)
    return conn


def _contains(text: str | None, folded: str) -> bool:
    return text is not None and folded in text.casefold()


def add_functions(conn: sqlite3.Connection) -> None:
    """Define on *conn* the functions the history plans call: ``chatroom_contains(text,
    folded)``, the memory backend's match (a casefolded substring), which SEARCH uses on
    the rows the index has not reached yet."""
    conn.create_function("chatroom_contains", 2, _contains, deterministic=True)


# --- the driver of SQL plans (see chatroom.storage.sql) ----------------------------------------


def _answer(conn: sqlite3.Connection, step: Sql) -> object:
    compiled = step.statement.sqlite
    cursor = conn.execute(compiled.sql, compiled.args(step.values))
    if step.answer is Answer.ROWS:
        return cursor.fetchall()
    if step.answer is Answer.ROW:
        return cursor.fetchone()
    return cursor.rowcount


def advance(conn: sqlite3.Connection, plan: SqlPlan[T]) -> tuple[bool, T | None]:
    """Run *plan* on *conn* to its next ``COMMIT`` (``(False, None)``) or to its end
    (``(True, result)``). The caller owns the transaction."""
    try:
        step = plan.send(None)
        while not isinstance(step, Commit):
            step = plan.send(_answer(conn, step))
    except StopIteration as done:
        result: T = done.value
        return True, result
    return False, None


def run(conn: sqlite3.Connection, plan: SqlPlan[T]) -> T:
    """Run *plan* on *conn* to its end, ignoring its transaction boundaries."""
    while True:
        done, result = advance(conn, plan)
        if done:
            return cast(T, result)
