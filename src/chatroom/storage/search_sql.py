"""SEARCH (soju.im/search) over the history tables, written once for SQLite and PostgreSQL.

The first page does not cost every match: the newest messages are read a range of seq at a
time (:func:`search`). What reads a range depends on the query: the FTS5 index up to its
high-water mark and the rows above it (SQLite indexes behind the writes, see
:mod:`chatroom.storage.sqlite_index`), the sender's index for ``from=``, the rows themselves
for a text too short for a trigram. PostgreSQL reads every range with ``ILIKE`` over its
``pg_trgm`` index.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from .base import Search, StoredMessage, to_ms
from .history_sql import COLUMNS, SENDER, Row, from_row
from .sql import SqlPlan, fetch_all, fetch_one, statement

__all__ = ["search"]

_NAMES = ", ".join(COLUMNS)
_NEVER = 2**62

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
# Fewer than 3 characters make no trigram, and no text needs none: the rows themselves,
# a range of seq at a time as for a word (the newest rows are what a first page needs),
# then, once _SCAN_SPAN rows gave too few, the conversations' rows below the last range
# (through their index: the cost of a rare text is bounded by the conversations searched).
_SEARCH_SCAN = statement(
    _AMONG.replace("FROM messages WHERE", "FROM messages NOT INDEXED WHERE").format(
        targets=_SQLITE_TARGETS, text=_LIKE + " AND seq >= :floor AND seq < :below"
    ),
    postgres=_AMONG.format(
        targets=_POSTGRES_TARGETS,
        text=_LIKE.replace("LIKE", "ILIKE") + " AND seq >= :floor AND seq < :below",
    ),
)
_SEARCH_BELOW = statement(
    _AMONG.format(targets=_SQLITE_TARGETS, text=_LIKE + " AND seq < :below"),
    postgres=_AMONG.format(
        targets=_POSTGRES_TARGETS, text=_LIKE.replace("LIKE", "ILIKE") + " AND seq < :below"
    ),
)
_SCAN_SPAN = 200_000


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
    values["pattern"] = f"%{_like(query.text)}%"
    values["folded"] = query.text.casefold()
    values["phrase"] = '"' + query.text.replace('"', '""') + '"'
    values["scan"] = query.sender is None and len(query.text) < 3
    return (yield from _indexed(values, query.limit))


def _indexed(values: dict[str, object], limit: int) -> SqlPlan[list[StoredMessage]]:
    """The newest *limit* matches, read a range of seq at a time (see :func:`_range`).

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
        if values["scan"] and span > _SCAN_SPAN:
            found.extend((yield from fetch_all(_SEARCH_BELOW, **values, below=below)))
            below = 0
            break
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
    """The matches with ``floor <= seq < below``: for a word, from the index up to *mark*
    and from the rows themselves above it (not indexed yet)."""
    if values["scan"]:  # no trigram to look up
        return (yield from fetch_all(_SEARCH_SCAN, **values, floor=floor, below=below))
    if values["nick"]:  # from=: the sender's index, indexed or not
        return (yield from fetch_all(_SEARCH_BY_SENDER, **values, floor=floor, below=below))
    rows: list[Sequence[Any]] = []
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
