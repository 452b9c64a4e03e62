"""The history tables' SQL, written once for SQLite and PostgreSQL (see :mod:`.sql`).

What is here: the DDL both schemas are made of, the rows (one message, one tuple, in
:data:`COLUMNS` order), every statement the two backends run, and the plans that run them:
CHATHISTORY queries (:func:`over_sql` answers :mod:`chatroom.storage.query`'s steps with
SQL), purge and retention (chunked, through :func:`~chatroom.storage.sql.delete_in_chunks`).
The backends keep only what differs in kind: SQLite's writer thread and group commit,
PostgreSQL's ``COPY`` and connection handling.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from .base import MessageKind, Search, StoredMessage, from_ms, to_ms
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
    "search",
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
# Without draft/event-playback, only messages: the kinds of base.EVENT_KINDS are left out.
_MESSAGE_KINDS = "kind IN ('PRIVMSG', 'NOTICE', 'TAGMSG')"
_MESSAGES_ONLY = f" AND {_MESSAGE_KINDS}"
_SCAN_EVENTS = _SCAN.replace(" ORDER BY", "{1} ORDER BY")
#: (newest_first, events) -> the scan
_SCANS = {
    (newest, events): statement(
        _SCAN_EVENTS.format("DESC" if newest else "ASC", "" if events else _MESSAGES_ONLY)
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

_SEARCH = (
    f"SELECT {_NAMES} FROM messages WHERE"
    " (target IN ({targets})"
    " OR target IN (SELECT target FROM dm_participants WHERE nick = :dms_of))"
    " AND time >= :after AND time <= :before AND kind IN ('PRIVMSG', 'NOTICE')"
    " AND (:sender = '' OR lower(source) LIKE :sender ESCAPE '\\'){text}"
    " ORDER BY time DESC, seq DESC LIMIT :limit"
)
_SQLITE_TARGETS = "SELECT value FROM json_each(:targets)"
_POSTGRES_TARGETS = "SELECT json_array_elements_text(CAST(:targets AS json))"
_LIKE = " AND text LIKE :pattern ESCAPE '\\'"
_SEARCH_NO_TEXT = statement(
    _SEARCH.format(targets=_SQLITE_TARGETS, text=""),
    postgres=_SEARCH.format(targets=_POSTGRES_TARGETS, text=""),
)
# The first page without collecting every match (see _indexed): the matches in a range of
# seq (the insert order, which is time order for appends), newest range first; the index
# reads only that range of its lists.
_AMONG = _SEARCH.replace(f"SELECT {_NAMES} ", f"SELECT {_NAMES}, seq ")
_SEARCH_RANGE = statement(
    _AMONG.format(
        targets=_SQLITE_TARGETS,
        text=" AND seq IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH :phrase"
        " AND rowid >= :floor AND rowid < :below)",
    ),
    postgres=_AMONG.format(
        targets=_POSTGRES_TARGETS,
        text=" AND seq >= :floor AND seq < :below AND text ILIKE :pattern",
    ),
)
# Above the search index's high-water mark (SQLite indexes behind the writes, see
# sqlite_index), the rows of a range are read by seq and matched as the memory backend
# matches (chatroom_contains: casefolded substring, a function of the reader connection).
# PostgreSQL indexes every row as it is written: its mark is the last seq.
_SEARCH_TAIL = statement(
    _AMONG.replace("FROM messages WHERE", "FROM messages NOT INDEXED WHERE").format(
        targets=_SQLITE_TARGETS,
        text=" AND seq >= :floor AND seq < :below AND chatroom_contains(text, :folded)",
    ),
    postgres=_AMONG.format(
        targets=_POSTGRES_TARGETS,
        text=" AND seq >= :floor AND seq < :below AND text ILIKE :pattern",
    ),
)
# A sender given: the range read through the sender's index (SQLite), each row's text
# matched directly; the sender's rows are fewer than a common word's matches, and this
# never reads the index's list of every message holding the word.
_SEARCH_BY_SENDER = statement(
    _AMONG.replace("FROM messages WHERE", "FROM messages INDEXED BY messages_by_sender WHERE")
    .replace(" AND (:sender = '' OR lower(source) LIKE :sender ESCAPE '\\')", "")
    .format(
        targets=_SQLITE_TARGETS,
        text=f" AND {SENDER} = :nick AND seq >= :floor AND seq < :below"
        " AND chatroom_contains(text, :folded)",
    ),
    postgres=_AMONG.format(
        targets=_POSTGRES_TARGETS,
        text=" AND seq >= :floor AND seq < :below AND text ILIKE :pattern",
    ),
)
_LAST_SEQ = statement(
    "SELECT (SELECT max(seq) FROM messages), (SELECT mark FROM search_state)",
    postgres="SELECT max(seq), max(seq) FROM messages",
)
# The oldest message said after a time: a message stored late (a relayed one, an import)
# may be newer than its seq says; from this seq up, every newer one has been looked at.
# (min of seq + 0: on a bare min(seq) SQLite walks the table in seq order instead of the
# index on time.)
_FIRST_SEQ_AFTER = statement("SELECT min(seq + 0) FROM messages WHERE time > :time")
_FIRST_SPAN = 2_000  # seqs in the first range; each next one is 4 times wider
# Fewer than 3 characters make no trigram: a scan (of the conversations' rows only).
_SEARCH_SHORT = statement(
    _SEARCH.format(targets=_SQLITE_TARGETS, text=_LIKE),
    postgres=_SEARCH.format(targets=_POSTGRES_TARGETS, text=_LIKE.replace("LIKE", "ILIKE")),
)
_GET_MESSAGE = statement(f"SELECT {_NAMES} FROM messages WHERE msgid = :msgid AND target = :target")
# Emptying ``text`` fires SQLite's messages_fts_update trigger: the words leave the index.
_REDACT = statement(
    "UPDATE messages SET kind = 'REDACT', text = '', tags = NULL, source = :source,"
    f" account = :account WHERE msgid = :msgid AND target = :target AND {_MESSAGE_KINDS}"
)
_NEVER = 2**62
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


def _like(text: str) -> str:
    """*text* as a LIKE operand: its wildcards and the escape character escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(query: Search) -> SqlPlan[list[StoredMessage]]:
    """The newest matches of *query* (see :class:`~chatroom.storage.base.Search`)."""
    if query.limit <= 0:
        return []
    values: dict[str, object] = {
        "targets": json.dumps(list(query.targets)),
        "dms_of": query.dms_of or "",
        "after": -_NEVER if query.after is None else to_ms(query.after),
        "before": _NEVER if query.before is None else to_ms(query.before),
        "sender": "" if query.sender is None else _like(query.sender.lower()) + "!%",
        "nick": "" if query.sender is None else query.sender.lower(),
        "limit": query.limit,
    }
    stmt = _SEARCH_NO_TEXT
    values["pattern"] = f"%{_like(query.text)}%"
    values["folded"] = query.text.casefold()
    if query.sender is not None:
        return (yield from _indexed(values, query.limit))
    if query.text:
        values["phrase"] = '"' + query.text.replace('"', '""') + '"'
        if len(query.text) >= 3:
            return (yield from _indexed(values, query.limit))
        stmt = _SEARCH_SHORT
    rows = yield from fetch_all(stmt, **values)
    return [from_row(cast(Row, tuple(row))) for row in rows]


def _indexed(values: dict[str, object], limit: int) -> SqlPlan[list[StoredMessage]]:
    """The newest *limit* matches of an indexed text, read a range of seq at a time.

    Newest range first, each 4 times wider than the last, until *limit* rows pass the
    filters (conversations, sender, time) or no range is left, so a common word costs about
    a page, not every match and a sort. Seq order is time order only for appends: before the
    page is final, the matches from the oldest message newer than its last row are read too.
    """
    row = yield from fetch_one(_LAST_SEQ)
    if row is None or row[0] is None:
        return []
    mark = int(row[1] or 0)
    found: list[Sequence[Any]] = []
    below, span = int(row[0]) + 1, _FIRST_SPAN
    while below > 0 and len(found) < limit:
        floor = max(below - span, 0)
        found.extend((yield from _range(values, floor, below, mark)))
        below, span = floor, span * 4
    page = _page(found, limit)
    if below > 0 and page:
        row = yield from fetch_one(_FIRST_SEQ_AFTER, time=to_ms(page[-1].time))
        if row is not None and row[0] is not None and int(row[0]) < below:
            late = yield from _range(values, int(row[0]), below, mark)
            page = _page(found + late, limit)
    return page


def _range(
    values: dict[str, object], floor: int, below: int, mark: int
) -> SqlPlan[list[Sequence[Any]]]:
    """The matches with ``floor <= seq < below``: from the index up to *mark*, from the
    rows themselves above it (not indexed yet)."""
    rows: list[Sequence[Any]] = []
    if values["nick"]:
        return (yield from fetch_all(_SEARCH_BY_SENDER, **values, floor=floor, below=below))
    if below > mark + 1:
        rows.extend(
            (yield from fetch_all(_SEARCH_TAIL, **values, floor=max(floor, mark + 1), below=below))
        )
    if floor <= mark:
        rows.extend(
            (yield from fetch_all(_SEARCH_RANGE, **values, floor=floor, below=min(below, mark + 1)))
        )
    return rows


def _page(rows: list[Sequence[Any]], limit: int) -> list[StoredMessage]:
    """The newest *limit* of *rows* (each ends with its seq), by time then seq."""
    rows.sort(key=lambda row: (int(row[1]), int(row[-1])), reverse=True)
    return [from_row(cast(Row, tuple(row[:-1]))) for row in rows[:limit]]


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
