"""New databases get exactly the schema of the released migrations, on both drivers.

The DDL is written once for SQLite and PostgreSQL (``chatroom.storage.history_sql`` and
``chatroom.storage.accounts_sql``) with the few words the dialects spell differently filled
in per driver. A released migration must never change what it creates: these fingerprints
(columns with their declared types, keys, indexes, ``WITHOUT ROWID``) were taken from the
schema as released, before the statements were shared.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import asyncpg

from chatroom.storage.accounts_postgres import PostgresAccountStore
from chatroom.storage.accounts_sqlite import SQLiteAccountStore
from chatroom.storage.postgres import PostgresHistoryStore
from chatroom.storage.sqlite import SQLiteHistoryStore
from support.account_stores import CHEAP, ITERATIONS

SQLITE_HISTORY = [
    "app 1667789384 version 5",
    "index messages_by_target on messages (target, time, seq)",
    "index messages_by_time on messages (time)",
    "index sqlite_autoindex_messages_1 on messages (msgid) unique",
    "table dm_participants WITHOUT ROWID: nick TEXT notnull pk1, target TEXT notnull pk2",
    "table messages: seq INTEGER pk1, msgid TEXT notnull, time INTEGER notnull,"
    " target TEXT notnull, kind TEXT notnull, source TEXT notnull, account TEXT,"
    " target_param TEXT notnull, text TEXT notnull, tags TEXT",
    # version 3: the FTS5 index for SEARCH, its shadow tables and its triggers
    "table messages_fts: text ",
    "table messages_fts_config WITHOUT ROWID: k  notnull pk1, v ",
    "table messages_fts_data: id INTEGER pk1, block BLOB",
    "table messages_fts_delete: ",
    "table messages_fts_docsize: id INTEGER pk1, sz BLOB",
    "table messages_fts_idx WITHOUT ROWID: segid  notnull pk1, term  notnull pk2, pgno ",
    "table messages_fts_update: ",
    # version 4: read markers
    "table read_markers WITHOUT ROWID: account TEXT notnull pk1, target TEXT notnull pk2,"
    " time INTEGER notnull",
    # version 5: indexed behind the writes (the insert trigger of version 3 is gone)
    "table search_state: mark INTEGER notnull",
    "index messages_by_sender on messages (None, seq)",
]
SQLITE_ACCOUNTS = [
    "app 1667789377 version 1",
    "table accounts WITHOUT ROWID: key TEXT notnull pk1, name TEXT notnull,"
    " password_hash TEXT notnull, scram_salt BLOB notnull, scram_iterations INTEGER notnull,"
    " scram_stored_key BLOB notnull, scram_server_key BLOB notnull, email TEXT,"
    " created INTEGER notnull",
    "table channels WITHOUT ROWID: key TEXT notnull pk1, name TEXT notnull,"
    " founder TEXT notnull, registered INTEGER notnull, topic TEXT, topic_setter TEXT,"
    " topic_time INTEGER, modes TEXT notnull, chan_key TEXT, user_limit INTEGER,"
    " bans TEXT notnull, excepts TEXT notnull, invex TEXT notnull, operators TEXT notnull",
    "table meta WITHOUT ROWID: key TEXT notnull pk1, value BLOB notnull",
    "table server_bans WITHOUT ROWID: key TEXT notnull pk1, mask TEXT notnull,"
    " reason TEXT notnull, setter TEXT notnull, created INTEGER notnull, expires INTEGER",
]
POSTGRES = [
    "account_meta: key text notnull, value bytea notnull",
    "accounts: key text notnull, name text notnull, password_hash text notnull,"
    " scram_salt bytea notnull, scram_iterations integer notnull,"
    " scram_stored_key bytea notnull, scram_server_key bytea notnull, email text,"
    " created bigint notnull",
    "channels: key text notnull, name text notnull, founder text notnull,"
    " registered bigint notnull, topic text, topic_setter text, topic_time bigint,"
    " modes text notnull, chan_key text, user_limit integer, bans text notnull,"
    " excepts text notnull, invex text notnull, operators text notnull",
    "dm_participants: nick text notnull, target text notnull",
    "messages: seq bigint notnull default nextval('messages_seq_seq'::regclass),"
    " msgid text notnull, time bigint notnull, target text notnull, kind text notnull,"
    " source text notnull, account text, target_param text notnull, text text notnull,"
    " tags text",
    "read_markers: account text notnull, target text notnull, time bigint notnull",
    "server_bans: key text notnull, mask text notnull, reason text notnull,"
    " setter text notnull, created bigint notnull, expires bigint",
    "schema_version: component text notnull, version integer notnull,"
    " updated timestamp with time zone notnull default now()",
    'CREATE INDEX messages_by_target ON messages USING btree (target, "time", seq)',
    'CREATE INDEX messages_by_time ON messages USING btree ("time")',
    "CREATE INDEX messages_text_trgm ON messages USING gin (text public.gin_trgm_ops)",
    "CREATE UNIQUE INDEX account_meta_pkey ON account_meta USING btree (key)",
    "CREATE UNIQUE INDEX accounts_pkey ON accounts USING btree (key)",
    "CREATE UNIQUE INDEX channels_pkey ON channels USING btree (key)",
    "CREATE UNIQUE INDEX dm_participants_pkey ON dm_participants USING btree (nick, target)",
    "CREATE UNIQUE INDEX messages_msgid_key ON messages USING btree (msgid)",
    "CREATE UNIQUE INDEX messages_pkey ON messages USING btree (seq)",
    "CREATE UNIQUE INDEX read_markers_pkey ON read_markers USING btree (account, target)",
    "CREATE UNIQUE INDEX server_bans_pkey ON server_bans USING btree (key)",
    "CREATE UNIQUE INDEX schema_version_pkey ON schema_version USING btree (component)",
]


def sqlite_fingerprint(path: Path) -> list[str]:
    """What a migration created in an SQLite file, as sorted lines."""
    conn = sqlite3.connect(path)
    try:
        (app,) = conn.execute("PRAGMA application_id").fetchone()
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        lines = [f"app {app} version {version}"]
        for kind, name, table, sql in conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
        ):
            if kind == "index":
                info = conn.execute(f"PRAGMA index_info({name})").fetchall()
                unique = any(
                    row[1] == name and row[2] for row in conn.execute(f"PRAGMA index_list({table})")
                )
                columns = ", ".join(str(row[2]) for row in info)
                lines.append(f"index {name} on {table} ({columns})" + (" unique" * unique))
                continue
            rowid = "" if re.search(r"WITHOUT\s+ROWID\s*$", sql) is None else " WITHOUT ROWID"
            columns = ", ".join(
                f"{cid_name} {type_}" + (" notnull" * notnull) + (f" pk{pk}" if pk else "")
                for _, cid_name, type_, notnull, _, pk in conn.execute(f"PRAGMA table_info({name})")
            )
            lines.append(f"table {name}{rowid}: {columns}")
        return sorted(lines)
    finally:
        conn.close()


async def postgres_fingerprint(dsn: str) -> list[str]:
    """What the migrations created in the current schema of *dsn*, as sorted lines."""
    conn = await asyncpg.connect(dsn)
    try:
        schema = await conn.fetchval("SELECT current_schema()")
        tables: dict[str, list[str]] = {}
        for row in await conn.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = $1"
            " ORDER BY table_name, ordinal_position",
            schema,
        ):
            column = f"{row[1]} {row[2]}" + (" notnull" if row[3] == "NO" else "")
            if row[4] is not None:
                column += f" default {row[4]}"
            tables.setdefault(row[0], []).append(column)
        lines = [f"{table}: {', '.join(columns)}" for table, columns in tables.items()]
        for row in await conn.fetch(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = $1", schema
        ):
            lines.append(row[0].replace(f"{schema}.", ""))
        return sorted(lines)
    finally:
        await conn.close()


async def test_a_new_sqlite_history_file_has_the_released_schema(tmp_path: Path) -> None:
    store = await SQLiteHistoryStore.open(tmp_path / "history.db")
    await store.close()
    assert sqlite_fingerprint(tmp_path / "history.db") == sorted(SQLITE_HISTORY)


async def test_a_new_sqlite_account_file_has_the_released_schema(tmp_path: Path) -> None:
    store = await SQLiteAccountStore.open(
        tmp_path / "accounts.db", passwords=CHEAP, scram_iterations=ITERATIONS
    )
    await store.close()
    assert sqlite_fingerprint(tmp_path / "accounts.db") == sorted(SQLITE_ACCOUNTS)


async def test_new_postgres_tables_have_the_released_schema(postgres_dsn: str) -> None:
    history = await PostgresHistoryStore.open(postgres_dsn)
    accounts = await PostgresAccountStore.open(
        postgres_dsn, passwords=CHEAP, scram_iterations=ITERATIONS
    )
    await accounts.close()
    await history.close()
    assert await postgres_fingerprint(postgres_dsn) == sorted(POSTGRES)
