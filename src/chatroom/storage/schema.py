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
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .errors import SchemaError

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "check_compatible",
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


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial schema: messages, indexed by (target, time, seq) and by msgid",
        (
            f"PRAGMA application_id = {APPLICATION_ID}",
            """
            CREATE TABLE messages (
                seq          INTEGER PRIMARY KEY,  -- append order; breaks ties on time
                msgid        TEXT    NOT NULL UNIQUE,
                time         INTEGER NOT NULL,     -- ms since the Unix epoch, UTC
                target       TEXT    NOT NULL,     -- conversation key (casefolded)
                kind         TEXT    NOT NULL,     -- PRIVMSG / NOTICE / TAGMSG
                source       TEXT    NOT NULL,     -- nick!user@host
                account      TEXT,
                target_param TEXT    NOT NULL,     -- the target as the sender wrote it
                text         TEXT    NOT NULL,
                tags         TEXT                  -- JSON object of client-only tags, or NULL
            )
            """,
            # Every CHATHISTORY query is a range over (time, seq) within one target.
            "CREATE INDEX messages_by_target ON messages (target, time, seq)",
        ),
    ),
    Migration(
        2,
        "dm_participants for CHATHISTORY TARGETS; index on time for age-based retention",
        (
            """
            CREATE TABLE dm_participants (
                nick   TEXT NOT NULL,
                target TEXT NOT NULL,
                PRIMARY KEY (nick, target)
            ) WITHOUT ROWID
            """,
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
            "CREATE INDEX messages_by_time ON messages (time)",
        ),
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
    found = version_of(conn)
    (app_id,) = conn.execute("PRAGMA application_id").fetchone()
    if app_id not in (0, APPLICATION_ID) or (
        found == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    ):
        raise SchemaError(
            "the file is an SQLite database of some other program, not chatroom history; "
            "choose another data directory."
        )
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"the history database has schema version {found}, newer than the {SCHEMA_VERSION} "
            "this chatroom knows: run a newer chatroom, or restore a backup."
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
    for migration in MIGRATIONS[found:target_version]:
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
    return found
