"""The PostgreSQL account store: one database shared by several stores (as by several server
processes), persistence, and its schema. The contract runs in test_accounts_contract.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from chatroom.storage.accounts import Account, BanRecord, ChannelRecord, ListEntry
from chatroom.storage.accounts_postgres import MIGRATIONS, PostgresAccountStore
from chatroom.storage.errors import SchemaError, StorageError
from chatroom.storage.postgres import PostgresHistoryStore
from chatroom.storage.postgres_db import schema_version
from support.account_stores import CHEAP, ITERATIONS

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


async def open_at(dsn: str) -> PostgresAccountStore:
    return await PostgresAccountStore.open(dsn, passwords=CHEAP, scram_iterations=ITERATIONS)


async def test_everything_survives_a_reopen(postgres_dsn: str) -> None:
    store = await open_at(postgres_dsn)
    account = await store.register("Alice", PASSWORD, "alice@example.org")
    channel = await store.register_channel(
        ChannelRecord(
            "#Lobby",
            "alice",
            topic="hi",
            topic_setter="Alice!a@h",
            topic_time=T0,
            modes="nt",
            key="k",
            limit=9,
            bans=(ListEntry("*!*@x", "Alice", T0),),
            excepts=(ListEntry("*!*@z", "Alice", T0),),
            operators=frozenset({"alice"}),
        )
    )
    ban = BanRecord("*!*@203.0.113.9", "flood", "oper", T0, T0 + timedelta(days=365 * 50))
    await store.add_ban(ban)
    real = await store.scram_credentials("alice")
    fake = await store.scram_credentials("nobody")
    await store.close()

    store = await open_at(postgres_dsn)
    try:
        assert await store.get("alice") == account
        assert await store.verify_password("ALICE", PASSWORD) == account
        assert await store.scram_credentials("alice") == real
        assert (await store.scram_credentials("nobody")).credentials == fake.credentials
        assert await store.list_channels() == [channel]
        assert await store.list_bans() == [ban]
    finally:
        await store.close()


async def test_processes_sharing_the_database_agree(postgres_dsn: str) -> None:
    one, two = await asyncio.gather(open_at(postgres_dsn), open_at(postgres_dsn))
    try:
        # A name claimed on two processes at the same instant: exactly one wins.
        results = await asyncio.gather(
            one.register("Race", PASSWORD), two.register("race", PASSWORD), return_exceptions=True
        )
        assert sum(isinstance(result, Account) for result in results) == 1
        assert sum(isinstance(result, StorageError) for result in results) == 1
        # A login works on either process, and so do unknown names look the same on both.
        assert await two.verify_password("RACE", PASSWORD) is not None
        assert await one.scram_credentials("ghost") == await two.scram_credentials("ghost")
        await one.add_ban(BanRecord("*!*@bad", "spam", "oper", T0))
        assert [ban.mask for ban in await two.list_bans()] == ["*!*@bad"]
    finally:
        await asyncio.gather(one.close(), two.close())


async def test_history_and_accounts_share_one_database(postgres_dsn: str) -> None:
    history = await PostgresHistoryStore.open(postgres_dsn)
    accounts = await open_at(postgres_dsn)
    await asyncio.gather(history.close(), accounts.close())
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await schema_version(conn, "accounts") == MIGRATIONS[-1].version
        assert await schema_version(conn, "history") >= 1
    finally:
        await conn.close()


async def test_a_newer_schema_is_refused(postgres_dsn: str) -> None:
    await (await open_at(postgres_dsn)).close()
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("UPDATE schema_version SET version = 7 WHERE component = 'accounts'")
    finally:
        await conn.close()
    with pytest.raises(SchemaError, match="newer"):
        await open_at(postgres_dsn)
