"""The SQLite history schema, versioned with ``PRAGMA user_version``, and its migrations.

Rules this file keeps:

* A migration is never edited once released; a change of schema is a new migration appended
  to :data:`MIGRATIONS`, and :data:`SCHEMA_VERSION` follows it.
* Each migration runs in one ``BEGIN IMMEDIATE`` transaction together with the
  ``user_version`` bump (the version lives in the database header, which SQLite writes
  transactionally), so a crash or an error mid-migration leaves the previous version intact.
* ``PRAGMA application_id`` marks the file as ours, so pointing ``--data-dir`` at a directory
  holding some other program's ``history.db`` fails clearly instead of altering it.

Version history:

1. ``messages``: one row per stored message; indexes for per-target ranges and for msgid.
2. ``dm_participants``: which private conversations each nick has (for CHATHISTORY TARGETS
   without scanning every key), back-filled from existing rows; an index on ``time`` so
   age-based retention does not scan the table.
3. ``messages_fts``: an FTS5 trigram index of the text for SEARCH, back-filled, and the
   triggers that keep it in step with every insert, delete and edit.
4. ``read_markers``: the last message each account has read in each conversation
   (IRCv3 read-marker).
5. ``search_state``: the search index is kept behind the writes (indexed in the background
   up to a high-water mark, see :mod:`chatroom.storage.sqlite_index`); the insert trigger
   goes, the delete and update triggers touch only rows at or below the mark;
   ``messages_by_sender``, an index on the sender's nick, for SEARCH ``from=``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .errors import SchemaError
from .history_sql import (
    DM_TABLE,
    INDEX_BY_SENDER,
    INDEX_BY_TARGET,
    INDEX_BY_TIME,
    MESSAGES_TABLE,
    READ_MARKERS_TABLE,
    SEARCH_INDEX_SQLITE,
)
from .sql import Dialect, words
from .sqlite_index import SEARCH_BEHIND_WRITES

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "apply",
    "check_compatible",
    "check_file",
    "migrate",
    "version_of",
]

#: ``PRAGMA application_id`` of a chatroom history database: ASCII "chrH".
APPLICATION_ID = 0x63687248


@dataclass(frozen=True, slots=True)
class Migration:
    """The statements that take a database from ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


def _sqlite(text: str) -> str:
    return words(text, Dialect.SQLITE)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial schema: messages, indexed by (target, time, seq) and by msgid",
        (f"PRAGMA application_id = {APPLICATION_ID}", _sqlite(MESSAGES_TABLE), INDEX_BY_TARGET),
    ),
    Migration(
        2,
        "dm_participants for CHATHISTORY TARGETS; index on time for age-based retention",
        (
            _sqlite(DM_TABLE),
            # Back-fill from private-conversation keys "low,high" (see base.dm_key).
            """
            INSERT OR IGNORE INTO dm_participants (nick, target)
            SELECT DISTINCT substr(target, 1, instr(target, ',') - 1), target
            FROM messages WHERE instr(target, ',') > 0
            """,
            """
            INSERT OR IGNORE INTO dm_participants (nick, target)
            SELECT DISTINCT substr(target, instr(target, ',') + 1), target
            FROM messages WHERE instr(target, ',') > 0
            """,
            INDEX_BY_TIME,
        ),
    ),
    Migration(3, "messages_fts: full-text index of the text for SEARCH", SEARCH_INDEX_SQLITE),
    Migration(
        4, "read_markers: per account and target (read-marker)", (_sqlite(READ_MARKERS_TABLE),)
    ),
    Migration(
        5,
        "search_state: index SEARCH behind the writes; messages_by_sender for from=",
        (*SEARCH_BEHIND_WRITES, INDEX_BY_SENDER),
    ),
)

#: The version this program writes; :func:`migrate` brings any older file up to it.
SCHEMA_VERSION = MIGRATIONS[-1].version


def version_of(conn: sqlite3.Connection) -> int:
    """Return the schema version recorded in the database (0 for a new, empty file)."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    return int(version)


def check_compatible(conn: sqlite3.Connection) -> int:
    """Return the database's schema version if this program can use (or upgrade) it.

    Only reads the file. Raises :class:`SchemaError` if the file is some other program's
    SQLite database, or was written by a newer chatroom.
    """
    return check_file(conn, APPLICATION_ID, SCHEMA_VERSION, "history")


def check_file(conn: sqlite3.Connection, application_id: int, known: int, what: str) -> int:
    """Return the schema version of the file on *conn* if it is ours (*application_id*, or
    a new empty file) and not newer than *known*; else raise :class:`SchemaError`.

    *what* ("history", "account") names the file in the message. Only reads the file.
    """
    found = version_of(conn)
    (app_id,) = conn.execute("PRAGMA application_id").fetchone()
    if app_id not in (0, application_id) or (
        found == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    ):
        hint = "choose another" if what == "history" else "move it aside or choose another"
        contents = "history" if what == "history" else f"{what}s"
        raise SchemaError(
            f"the file is an SQLite database of some other program, not chatroom {contents}; "
            f"{hint} data directory."
        )
    if found > known:
        advice = "run a newer chatroom, or restore a backup."
        raise SchemaError(
            f"the {what} database has schema version {found}, newer than the {known} "
            f"this chatroom knows: {advice}"
        )
    return found


def migrate(conn: sqlite3.Connection, target_version: int = SCHEMA_VERSION) -> int:
    """Upgrade the database on *conn* to *target_version*; return the version it had.

    *conn* must be in autocommit mode (``isolation_level=None``). Raises
    :class:`SchemaError` as :func:`check_compatible` does; ``sqlite3.Error`` from SQLite
    itself (disk full, corrupt file) propagates after the failed migration has been rolled
    back, leaving the previous version intact.
    """
    if not 0 <= target_version <= SCHEMA_VERSION:
        raise ValueError(f"no such schema version: {target_version}")
    found = check_compatible(conn)
    apply(conn, MIGRATIONS[found:target_version])
    return found


def apply(conn: sqlite3.Connection, migrations: tuple[Migration, ...]) -> None:
    """Run each of *migrations* on *conn* (autocommit mode) in one ``BEGIN IMMEDIATE``
    transaction with its ``user_version`` bump: a failed step leaves the version before it."""
    for migration in migrations:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (SQLITE_FULL …)
                conn.execute("ROLLBACK")
            raise
