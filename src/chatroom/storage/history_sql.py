"""The history tables' SQL, written once for SQLite and PostgreSQL (see :mod:`.sql`).

What is here: the DDL both schemas are made of, the rows (one message, one tuple, in
:data:`COLUMNS` order), every statement the two backends run, and the plans that run them:
CHATHISTORY queries (:func:`over_sql` answers :mod:`chatroom.storage.query`'s steps with
SQL), purge and retention (chunked, through :func:`~chatroom.storage.sql.delete_in_chunks`);
SEARCH's statements and plan are in :mod:`chatroom.storage.search_sql`.
The backends keep only what differs in kind: SQLite's writer thread and group commit,
PostgreSQL's ``COPY`` and connection handling.
"""

from __future__ import annotations

import json
from typing import TypeVar, cast

from .base import MessageKind, StoredMessage, from_ms
from .query import DmTargets, Key, KeyOf, LatestTime, Plan, Scan, Step
from .sql import SqlPlan, Statement, delete_in_chunks, execute, fetch_all, fetch_one, statement

__all__ = [
    "COLUMNS",
    "DM_TABLE",
    "INDEX_BY_SENDER",
    "INDEX_BY_TARGET",
    "INDEX_BY_TIME",
    "INSERT_DM",
    "INSERT_MESSAGE",
    "INSERT_MESSAGE_IF_NEW",
    "MESSAGES_TABLE",
    "READ_MARKERS_TABLE",
    "SEARCH_INDEX_POSTGRES",
    "SEARCH_INDEX_SQLITE",
    "Row",
    "from_row",
    "message",
    "over_sql",
    "probe",
    "purge",
    "read_marker",
    "redact",
    "retention",
    "set_read_marker",
    "targets_over",
    "to_row",
]

T = TypeVar("T")

# --- the schema (DDL in released migrations: never edit what a release created) ---------------

MESSAGES_TABLE = """
CREATE TABLE messages (
    seq          {serial} PRIMARY KEY,  -- insert order; breaks ties on time
    msgid        TEXT NOT NULL UNIQUE,
    time         {int64} NOT NULL,      -- ms since the Unix epoch, UTC
    target       TEXT NOT NULL,         -- conversation key (casefolded)
    kind         TEXT NOT NULL,         -- PRIVMSG / NOTICE / TAGMSG
    source       TEXT NOT NULL,         -- nick!user@host
    account      TEXT,
    target_param TEXT NOT NULL,         -- the target as the sender wrote it
    text         TEXT NOT NULL,
    tags         TEXT                   -- JSON object of client-only tags, or NULL
)
"""
# Every CHATHISTORY query is a range over (time, seq) within one target.
INDEX_BY_TARGET = "CREATE INDEX messages_by_target ON messages (target, time, seq)"
INDEX_BY_TIME = "CREATE INDEX messages_by_time ON messages (time)"  # age-based retention
# SEARCH from=<nick>: the sender's messages newest first, without reading anyone else's.
# The nick of the source, lower-cased (ASCII, as lower() and the LIKE of search do).
SENDER = "lower(substr(source, 1, instr(source, '!') - 1))"
INDEX_BY_SENDER = f"CREATE INDEX messages_by_sender ON messages ({SENDER}, seq)"
DM_TABLE = """
CREATE TABLE dm_participants (
    nick   TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (nick, target)
){without_rowid}
"""

# Full-text search (SEARCH). SQLite: an FTS5 index over the text with the trigram tokenizer,
# so a search is a case-insensitive substring match like the memory backend's, and CJK
# (no spaces between words) and emoji are found; unicode61 would split CJK runs into one
# token and drop emoji. Accents are kept (SQLite before 3.45 cannot fold them with
# trigram): "cafe" does not find "café". The triggers keep it in step with every insert,
# purge, retention delete and edit of a text, so no writer has to remember it.
SEARCH_INDEX_SQLITE = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5"
    "(text, content='messages', content_rowid='seq', tokenize='trigram')",
    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",  # back-fill
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
    END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
    END""",
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
        INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
    END""",
)
# PostgreSQL: pg_trgm's GIN index answers ILIKE '%text%', the same substring semantics; an
# index on the table itself is kept in step by PostgreSQL.
SEARCH_INDEX_POSTGRES = (
    # In public, named in full: the extension is one per database, and each chatroom may
    # live in a schema of its own (search_path).
    "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
    "CREATE INDEX messages_text_trgm ON messages USING gin (text public.gin_trgm_ops)",
)
# Read markers (https://ircv3.net/specs/extensions/read-marker): per account and target.
READ_MARKERS_TABLE = """
CREATE TABLE read_markers (
    account TEXT NOT NULL,          -- casefolded account name
    target  TEXT NOT NULL,          -- casefolded channel name or nick, as the account sees it
    time    {int64} NOT NULL,       -- ms since the Unix epoch, UTC
    PRIMARY KEY (account, target)
){without_rowid}
"""

# --- rows ---------------------------------------------------------------------------------------

COLUMNS = ("msgid", "time", "target", "kind", "source", "account", "target_param", "text", "tags")
Row = tuple[str, int, str, str, str, str | None, str, str, str | None]
"""One message as stored, in :data:`COLUMNS` order."""


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


# --- statements ---------------------------------------------------------------------------------

_NAMES = ", ".join(COLUMNS)
#: Its parameters are :data:`COLUMNS` in order, so a :data:`Row` is its argument tuple.
INSERT_MESSAGE = statement(
    f"INSERT INTO messages ({_NAMES}) VALUES ({', '.join(':' + c for c in COLUMNS)})"
)
INSERT_MESSAGE_IF_NEW = statement(
    f"INSERT INTO messages ({_NAMES}) VALUES ({', '.join(':' + c for c in COLUMNS)})"
    " ON CONFLICT (msgid) DO NOTHING"
)
INSERT_DM = statement(
    "INSERT INTO dm_participants (nick, target) VALUES (:nick, :target) ON CONFLICT DO NOTHING"
)
_DELETE_DM = statement("DELETE FROM dm_participants WHERE nick = :nick AND target = :target")

_KEY_OF = statement("SELECT time, seq FROM messages WHERE msgid = :msgid AND target = :target")
_SCAN = (
    f"SELECT {_NAMES} FROM messages WHERE target = :target"
    " AND (time, seq) > (:lo_time, :lo_seq) AND (time, seq) < (:hi_time, :hi_seq)"
    " ORDER BY time {0}, seq {0} LIMIT :limit"
)
# Messages, as against the channel events (base.EVENT_KINDS): what retention counts apart.
_MESSAGE_KINDS = "kind IN ('PRIVMSG', 'NOTICE', 'TAGMSG')"
_MESSAGES_ONLY = f" AND {_MESSAGE_KINDS}"
# Without draft/event-playback a page holds only what such a client may be sent, PRIVMSG
# and NOTICE, so a TAGMSG (a reaction) never takes the place of a message in its limit.
_TEXT_ONLY = " AND kind IN ('PRIVMSG', 'NOTICE')"
_SCAN_EVENTS = _SCAN.replace(" ORDER BY", "{1} ORDER BY")
#: (newest_first, events) -> the scan
_SCANS = {
    (newest, events): statement(
        _SCAN_EVENTS.format("DESC" if newest else "ASC", "" if events else _TEXT_ONLY)
    )
    for newest in (False, True)
    for events in (False, True)
}
_LATEST_TIME = statement(
    "SELECT time FROM messages WHERE target = :target AND time > :lo AND time < :hi"
    f"{_MESSAGES_ONLY} ORDER BY time DESC LIMIT 1"
)
_DM_TARGETS = statement("SELECT target FROM dm_participants WHERE nick = :nick ORDER BY target")
# The count rule keeps the newest messages and, apart, the newest channel events of a target.
_TARGETS_OVER = statement(
    f"SELECT target FROM messages GROUP BY target HAVING"
    f" sum(CASE WHEN {_MESSAGE_KINDS} THEN 1 ELSE 0 END) > :count"
    f" OR sum(CASE WHEN {_MESSAGE_KINDS} THEN 0 ELSE 1 END) > :count"
)

# Maintenance: each DELETE takes at most :chunk rows (see sql.delete_in_chunks).
_PURGE = statement(
    "DELETE FROM messages WHERE seq IN"
    " (SELECT seq FROM messages WHERE target = :target LIMIT :chunk)"
)
_PURGE_DMS = statement("DELETE FROM dm_participants WHERE target = :target")
_EXPIRE = statement(
    "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE time < :cutoff LIMIT :chunk)"
)
_TRIM = (
    "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE target = :target"
    " AND {} ORDER BY time DESC, seq DESC LIMIT :chunk OFFSET :keep)"
)
_TRIMS = (statement(_TRIM.format(_MESSAGE_KINDS)), statement(_TRIM.format(f"NOT {_MESSAGE_KINDS}")))
_FORGET_DMS = statement(
    "DELETE FROM dm_participants WHERE NOT EXISTS"
    " (SELECT 1 FROM messages WHERE messages.target = dm_participants.target)"
)

_GET_MESSAGE = statement(f"SELECT {_NAMES} FROM messages WHERE msgid = :msgid AND target = :target")
# Emptying ``text`` fires SQLite's messages_fts_update trigger: the words leave the index.
_REDACT = statement(
    "UPDATE messages SET kind = 'REDACT', text = '', tags = NULL, source = :source,"
    f" account = :account WHERE msgid = :msgid AND target = :target AND {_MESSAGE_KINDS}"
)
_GET_MARKER = statement(
    "SELECT time FROM read_markers WHERE account = :account AND target = :target"
)
# The WHERE keeps a marker from moving backwards, in one statement (no read-then-write race
# between two processes).
_SET_MARKER = statement(
    "INSERT INTO read_markers (account, target, time) VALUES (:account, :target, :time)"
    " ON CONFLICT (account, target) DO UPDATE SET time = excluded.time"
    " WHERE excluded.time > read_markers.time"
)

# --- plans --------------------------------------------------------------------------------------


def over_sql(plan: Plan[T]) -> SqlPlan[T]:
    """*plan* (a :mod:`chatroom.storage.query` plan), its steps answered with SQL."""
    answer: object = None
    while True:
        try:
            step = plan.send(answer)
        except StopIteration as done:
            result: T = done.value
            return result
        answer = yield from _answer(step)


def _answer(step: Step) -> SqlPlan[object]:
    match step:
        case KeyOf(target, msgid):
            row = yield from fetch_one(_KEY_OF, target=target, msgid=msgid)
            key: Key | None = None if row is None else (int(row[0]), int(row[1]))
            return key
        case Scan(target, lo, hi, limit, newest_first, events):
            if limit <= 0:
                return []
            scan = _SCANS[newest_first, events]
            rows = yield from fetch_all(
                scan, target=target, lo_time=lo[0], lo_seq=lo[1], hi_time=hi[0], hi_seq=hi[1],
                limit=limit,
            )  # fmt: skip
            return [from_row(cast(Row, tuple(row))) for row in rows]
        case LatestTime(target, lo_ms, hi_ms):
            row = yield from fetch_one(_LATEST_TIME, target=target, lo=lo_ms, hi=hi_ms)
            return None if row is None else int(row[0])
        case DmTargets(nick):
            rows = yield from fetch_all(_DM_TARGETS, nick=nick)
            return [str(row[0]) for row in rows]
    raise TypeError(f"not a history step: {step!r}")  # pragma: no cover


def targets_over(count: int) -> SqlPlan[list[str]]:
    """The targets holding more than *count* messages, or more than *count* events."""
    rows = yield from fetch_all(_TARGETS_OVER, count=count)
    return [str(row[0]) for row in rows]


def purge(target: str, chunk: int) -> SqlPlan[int]:
    """Delete *target*'s messages and its DM participants; return the messages deleted."""
    return delete_in_chunks(
        [(_PURGE, {"target": target})], [(_PURGE_DMS, {"target": target})], chunk
    )


def retention(cutoff: int | None, keep: int | None, over: list[str], chunk: int) -> SqlPlan[int]:
    """Delete messages older than *cutoff* (ms) and all but the newest *keep* messages and
    *keep* events of each target in *over* (found with :func:`targets_over`), then the
    conversations left empty; return the messages deleted."""
    deletes: list[tuple[Statement, dict[str, object]]] = []
    if cutoff is not None:
        deletes.append((_EXPIRE, {"cutoff": cutoff}))
    if keep is not None:
        deletes.extend(
            (trim, {"target": target, "keep": keep}) for target in over for trim in _TRIMS
        )
    return delete_in_chunks(deletes, [(_FORGET_DMS, {})], chunk)


def read_marker(account: str, target: str) -> SqlPlan[int | None]:
    """The read marker of *account* in *target*, in ms, or None."""
    row = yield from fetch_one(_GET_MARKER, account=account, target=target)
    return None if row is None else int(row[0])


def set_read_marker(account: str, target: str, time_ms: int) -> SqlPlan[int]:
    """Move the marker forward to *time_ms* (never back); return the marker stored, in ms."""
    yield from execute(_SET_MARKER, account=account, target=target, time=time_ms)
    stored = yield from read_marker(account, target)
    return time_ms if stored is None else stored


def message(target: str, msgid: str) -> SqlPlan[StoredMessage | None]:
    """The message *msgid* of *target*, or None."""
    row = yield from fetch_one(_GET_MESSAGE, target=target, msgid=msgid)
    return None if row is None else from_row(cast(Row, tuple(row)))


def redact(target: str, msgid: str, source: str, account: str | None) -> SqlPlan[int]:
    """Make message *msgid* of *target* a tombstone; return 1 if it was a message, else 0."""
    return (yield from execute(_REDACT, target=target, msgid=msgid, source=source, account=account))


def probe(target: str, nick: str) -> SqlPlan[None]:
    """A write that must find room as a message would, and leaves nothing behind."""
    yield from execute(INSERT_DM, nick=nick, target=target)
    yield from execute(_DELETE_DM, nick=nick, target=target)
