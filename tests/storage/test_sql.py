"""Statements written once: the placeholder compiler, the dialect words, the chunked DELETE
plan (driven here by hand, no database), and both drivers running one plan alike."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from chatroom.storage import postgres_db, sqlite_db
from chatroom.storage.sql import (
    COMMIT,
    Answer,
    Dialect,
    Sql,
    SqlPlan,
    delete_in_chunks,
    execute,
    fetch_all,
    fetch_one,
    statement,
    words,
)


def test_named_placeholders_compile_for_each_driver() -> None:
    stmt = statement("SELECT a FROM t WHERE b = :b AND (c, d) > (:c, :b) LIMIT :n")
    assert stmt.sqlite.sql == "SELECT a FROM t WHERE b = ? AND (c, d) > (?, ?) LIMIT ?"
    assert stmt.sqlite.args({"b": 1, "c": 2, "n": 3}) == (1, 2, 1, 3)
    assert stmt.postgres.sql == "SELECT a FROM t WHERE b = $1 AND (c, d) > ($2, $1) LIMIT $3"
    assert stmt.postgres.args({"b": 1, "c": 2, "n": 3}) == (1, 2, 3)


def test_casts_and_times_are_not_placeholders() -> None:
    stmt = statement("SELECT :a::text[], '12:30'", postgres="SELECT :a::text[]")
    assert stmt.postgres.sql == "SELECT $1::text[]"
    assert stmt.sqlite.names == ("a",)


def test_dialect_words_are_data() -> None:
    ddl = "CREATE TABLE x (seq {serial} PRIMARY KEY, b {bytes}, n {int64}){without_rowid}"
    assert words(ddl, Dialect.SQLITE) == (
        "CREATE TABLE x (seq INTEGER PRIMARY KEY, b BLOB, n INTEGER) WITHOUT ROWID"
    )
    assert words(ddl, Dialect.POSTGRES) == (
        "CREATE TABLE x (seq BIGSERIAL PRIMARY KEY, b BYTEA, n BIGINT)"
    )


def test_a_missing_value_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        statement("SELECT :a").sqlite.args({})


DELETE = statement("DELETE FROM t WHERE rowid IN (SELECT rowid FROM t WHERE g = :g LIMIT :chunk)")
CLEANUP = statement("DELETE FROM u")


def drive(plan: SqlPlan[int], counts: list[int]) -> tuple[list[object], int]:
    """Answer every DELETE with the next of *counts*; return the steps seen and the result."""
    seen: list[object] = []
    sent: object = None
    while True:
        try:
            step = plan.send(sent)
        except StopIteration as done:
            return seen, done.value
        seen.append(step if step is COMMIT else dict(step.values))  # type: ignore[union-attr]
        sent = None if step is COMMIT or step.statement is CLEANUP else counts.pop(0)  # type: ignore[union-attr]


def test_each_chunk_is_a_transaction_and_the_cleanup_shares_the_last() -> None:
    plan = delete_in_chunks([(DELETE, {"g": 1}), (DELETE, {"g": 2})], [(CLEANUP, {})], 10)
    seen, deleted = drive(plan, [10, 4, 0])
    assert seen == [
        {"g": 1, "chunk": 10},
        COMMIT,
        {"g": 1, "chunk": 10},  # the last chunk was full: go on
        COMMIT,
        {"g": 2, "chunk": 10},  # then the next DELETE
        {},  # the cleanup, in the last DELETE's transaction
    ]
    assert deleted == 14


def test_with_nothing_to_delete_only_the_cleanup_runs() -> None:
    seen, deleted = drive(delete_in_chunks([], [(CLEANUP, {})], 10), [])
    assert seen == [{}] and deleted == 0


SETUP = [
    "CREATE TABLE t (k TEXT PRIMARY KEY, v {int64})",
    "INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3)",
]
INSERT = statement("INSERT INTO t (k, v) VALUES (:k, :v) ON CONFLICT DO NOTHING")
SELECT = statement("SELECT k, v FROM t WHERE v >= :v ORDER BY k")
ONE = statement("SELECT v FROM t WHERE k = :k")


def sample() -> SqlPlan[tuple[int, int, list[tuple[str, int]], object, object]]:
    added = yield from execute(INSERT, k="d", v=4)
    again = yield from execute(INSERT, k="d", v=5)
    rows = yield from fetch_all(SELECT, v=2)
    one = yield from fetch_one(ONE, k="d")
    none = yield from fetch_one(ONE, k="zz")
    return added, again, [(str(k), int(v)) for k, v in rows], one and one[0], none


EXPECTED = (1, 0, [("b", 2), ("c", 3), ("d", 4)], 4, None)


def test_the_sqlite_driver_runs_a_plan(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    for ddl in SETUP:
        conn.execute(words(ddl, Dialect.SQLITE))
    assert sqlite_db.run(conn, sample()) == EXPECTED
    conn.close()


async def test_the_postgres_driver_runs_the_same_plan(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        for ddl in SETUP:
            await conn.execute(words(ddl, Dialect.POSTGRES))
        assert await postgres_db.run(conn, sample()) == EXPECTED
    finally:
        await conn.close()


def test_steps_are_data() -> None:
    assert Sql(ONE, {"k": "a"}, Answer.ROW) == Sql(ONE, {"k": "a"}, Answer.ROW)
