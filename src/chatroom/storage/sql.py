"""SQL written once for both drivers: statements, their compiler, and plans that run them.

Every statement of the SQL backends is written once, in :mod:`chatroom.storage.history_sql`
or :mod:`chatroom.storage.accounts_sql`, with named placeholders (``:target``) and, where
the two dialects spell something differently, a word in braces (``{int64}``) that
:data:`WORDS` fills in. :func:`statement` compiles it for both drivers at import time:
sqlite3 gets ``?`` placeholders, asyncpg gets ``$1 … $n``; :meth:`Compiled.args` orders
the values. Rules the statements keep: no ``:`` inside string literals (a cast ``::`` is
fine), and no braces except the dialect words.

Work that runs several statements is a *plan*, sans-I/O as in :mod:`chatroom.storage.query`:
a generator that yields :class:`Sql` steps and is sent each step's answer (rows, one row, or
a row count), plus :data:`COMMIT` where a long job may end one transaction and begin the
next. The SQLite backend drives plans on its threads (``sqlite_db.run``), the PostgreSQL
backend on the loop (``postgres_db.run``); the writer thread and asyncpg stay apart, the
statements and plans are shared. :func:`delete_in_chunks` is the one chunked DELETE loop.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar, cast

__all__ = [
    "COMMIT",
    "WORDS",
    "Answer",
    "Commit",
    "Compiled",
    "Dialect",
    "Sql",
    "SqlPlan",
    "Statement",
    "delete_in_chunks",
    "execute",
    "fetch_all",
    "fetch_one",
    "statement",
]

T = TypeVar("T")


class Dialect(Enum):
    SQLITE = "sqlite"
    POSTGRES = "postgres"


#: The words the dialects spell differently, written ``{name}`` in a statement.
WORDS: dict[Dialect, dict[str, str]] = {
    Dialect.SQLITE: {
        "int64": "INTEGER",  # SQLite integers are 64-bit whatever the declared type
        "bytes": "BLOB",
        "serial": "INTEGER",  # an INTEGER PRIMARY KEY is the rowid, assigned on insert
        "without_rowid": " WITHOUT ROWID",  # a table clustered on its primary key
        "meta": "meta",  # the account file's own table; the shared database prefixes it
    },
    Dialect.POSTGRES: {
        "int64": "BIGINT",
        "bytes": "BYTEA",
        "serial": "BIGSERIAL",
        "without_rowid": "",
        "meta": "account_meta",
    },
}

_PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_WORD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement as one driver takes it: its text and which value each parameter is."""

    sql: str
    names: tuple[str, ...]

    def args(self, values: Mapping[str, object]) -> tuple[object, ...]:
        """The positional parameters for *values* (a ``KeyError`` names a missing one)."""
        return tuple(values[name] for name in self.names)


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement, compiled for each driver."""

    sqlite: Compiled
    postgres: Compiled


def words(text: str, dialect: Dialect) -> str:
    """*text* with its ``{word}`` spelled for *dialect*."""
    return _WORD.sub(lambda match: WORDS[dialect][match[1]], text)


def _compile_sqlite(text: str) -> Compiled:
    names: list[str] = []

    def mark(match: re.Match[str]) -> str:
        names.append(match[1])
        return "?"

    return Compiled(_PLACEHOLDER.sub(mark, words(text, Dialect.SQLITE)), tuple(names))


def _compile_postgres(text: str) -> Compiled:
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return Compiled(_PLACEHOLDER.sub(number, words(text, Dialect.POSTGRES)), tuple(names))


def statement(text: str, *, postgres: str | None = None) -> Statement:
    """Compile *text* for both drivers; *postgres* replaces it there when the dialects
    truly differ (keep such statements few)."""
    return Statement(_compile_sqlite(text), _compile_postgres(postgres or text))


# --- plans --------------------------------------------------------------------------------------


class Answer(Enum):
    """What a :class:`Sql` step is answered with."""

    ROWS = "rows"  # every row, each a sequence of values
    ROW = "row"  # the first row, or None
    COUNT = "count"  # how many rows the statement inserted, changed or deleted


@dataclass(frozen=True, slots=True)
class Sql:
    """Run *statement* with *values*; the answer is as *answer* says."""

    statement: Statement
    values: Mapping[str, object]
    answer: Answer


class Commit:
    """A transaction boundary in a long job: the driver may commit here and let other work
    through before it goes on. Answered with ``None``."""


COMMIT = Commit()

Row = Sequence[Any]
SqlPlan = Generator[Sql | Commit, object, T]
"""A sans-I/O computation over SQL: yields steps, is sent their answers, returns a result."""


def fetch_all(stmt: Statement, **values: object) -> SqlPlan[list[Row]]:
    return cast("list[Row]", (yield Sql(stmt, values, Answer.ROWS)))


def fetch_one(stmt: Statement, **values: object) -> SqlPlan[Row | None]:
    return cast("Row | None", (yield Sql(stmt, values, Answer.ROW)))


def execute(stmt: Statement, **values: object) -> SqlPlan[int]:
    return cast(int, (yield Sql(stmt, values, Answer.COUNT)))


def delete_in_chunks(
    deletes: Sequence[tuple[Statement, Mapping[str, object]]],
    cleanups: Sequence[tuple[Statement, Mapping[str, object]]],
    chunk: int,
) -> SqlPlan[int]:
    """Run each DELETE (which takes ``:chunk`` and deletes at most that many rows) until it
    deletes less than a chunk, then the *cleanups*; return the rows the DELETEs took.

    Each execution is a transaction of its own (:data:`COMMIT` between two), the cleanups
    share the last one, so a long purge never holds the write lock for long.
    """
    deleted = 0
    first = True
    for stmt, values in deletes:
        while True:
            if not first:
                yield COMMIT
            first = False
            count = yield from execute(stmt, **values, chunk=chunk)
            deleted += count
            if count < chunk:
                break
    for stmt, values in cleanups:
        yield from execute(stmt, **values)
    return deleted
