"""The AccountStore contract, run against every backend: memory, SQLite on real files, and
PostgreSQL on a throwaway server (skipped when there is none)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from chatroom.protocol.sasl import derive_scram_credentials
from chatroom.storage.accounts import (
    Account,
    AccountExists,
    AccountStoreClosed,
    BanRecord,
    ChannelAlreadyRegistered,
    ChannelNotRegistered,
    ChannelRecord,
    InvalidAccountName,
    InvalidChannelRecord,
    InvalidEmail,
    ListEntry,
    NoSuchAccount,
    WeakPassword,
)
from chatroom.storage.accounts_base import AccountStoreBase
from chatroom.storage.errors import StorageError, StoreClosedError
from chatroom.storage.passwords import Passwords
from support.account_stores import ITERATIONS, open_store

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"

BACKENDS = ["memory", "sqlite", "postgres"]

Opener = Callable[..., Awaitable[AccountStoreBase]]


@pytest.fixture
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """``await opener(kind, **options)``: a fresh store of that backend."""

    async def open_kind(kind: str, **options: Any) -> AccountStoreBase:
        dsn = request.getfixturevalue("postgres_dsn") if kind == "postgres" else None
        return await open_store(kind, tmp_path, dsn=dsn, **options)

    return open_kind


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, opener: Opener) -> AsyncIterator[AccountStoreBase]:
    backend = await opener(request.param)
    yield backend
    await backend.close()


# --- accounts ----------------------------------------------------------------------------------


async def test_register_then_get_any_case(store: AccountStoreBase) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    account = await store.register("Alice", PASSWORD, "alice@example.org")
    assert account.name == "Alice"
    assert account.folded == "alice"
    assert account.email == "alice@example.org"
    assert before <= account.created <= datetime.now(UTC)
    assert await store.get("ALICE") == account
    assert await store.get("alice") == account
    assert await store.get("bob") is None
    assert await store.get("not a nick") is None


async def test_register_twice_in_any_case_is_refused(store: AccountStoreBase) -> None:
    await store.register("Alice", PASSWORD)
    with pytest.raises(AccountExists) as caught:
        await store.register("aLiCe", "another password")
    assert caught.value.code == "ACCOUNT_EXISTS"
    assert isinstance(caught.value, StorageError)


async def test_concurrent_registrations_of_one_name(store: AccountStoreBase) -> None:
    results = await asyncio.gather(
        *(store.register(name, PASSWORD) for name in ("dup", "DUP", "Dup")),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Account) for r in results) == 1
    assert sum(isinstance(r, AccountExists) for r in results) == 2


@pytest.mark.parametrize("name", ["", "1abc", "-abc", "a b", "a,b", "#chan", "x" * 33, "é"])
async def test_invalid_account_names(store: AccountStoreBase, name: str) -> None:
    with pytest.raises(InvalidAccountName) as caught:
        await store.register(name, PASSWORD)
    assert caught.value.code == "BAD_ACCOUNT_NAME"


async def test_name_length_follows_the_nick_length(tmp_path: Path) -> None:
    store = await open_store("memory", tmp_path, nick_length=5)
    try:
        await store.register("abcde", PASSWORD)
        with pytest.raises(InvalidAccountName):
            await store.register("abcdef", PASSWORD)
    finally:
        await store.close()


@pytest.mark.parametrize(
    "password", ["", "short", "sev7en!", "x" * 301, "é" * 151, "has a\x00nul in it", "bell\x07here"]
)
async def test_weak_passwords(store: AccountStoreBase, password: str) -> None:
    with pytest.raises(WeakPassword) as caught:
        await store.register("alice", password)
    assert caught.value.code == "WEAK_PASSWORD"
    assert await store.get("alice") is None


async def test_password_limits_are_inclusive(store: AccountStoreBase) -> None:
    await store.register("eight", "8 chars!")
    await store.register("longest", "é" * 150)  # 300 bytes of UTF-8
    assert await store.verify_password("longest", "é" * 150) is not None


@pytest.mark.parametrize("email", ["", "nobody", "a@b", "a b@example.org", "a@@example.org"])
async def test_invalid_email(store: AccountStoreBase, email: str) -> None:
    with pytest.raises(InvalidEmail):
        await store.register("alice", PASSWORD, email)


async def test_verify_password(store: AccountStoreBase) -> None:
    account = await store.register("Alice", PASSWORD)
    assert await store.verify_password("alice", PASSWORD) == account
    assert await store.verify_password("ALICE", PASSWORD) == account
    assert await store.verify_password("alice", PASSWORD.upper()) is None
    assert await store.verify_password("alice", "") is None
    assert await store.verify_password("bob", PASSWORD) is None
    assert await store.verify_password("not a nick!", PASSWORD) is None
    assert await store.verify_password("alice", "bad\x07char") is None


async def test_passwords_are_compared_after_saslprep(store: AccountStoreBase) -> None:
    await store.register("alice", "\ufb01ne\u00a0passw\u00adord")  # ligature, nbsp, soft hyphen
    assert await store.verify_password("alice", "fine password") is not None


async def test_only_hashes_are_kept(store: AccountStoreBase) -> None:
    await store.register("alice", PASSWORD)
    stored = await store._load_account("alice")
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in repr(stored)


async def test_scram_credentials_of_an_account(store: AccountStoreBase) -> None:
    account = await store.register("Alice", PASSWORD)
    lookup = await store.scram_credentials("ALICE")
    assert lookup.known and lookup.account == account
    creds = lookup.credentials
    assert creds.iterations == ITERATIONS
    assert derive_scram_credentials(PASSWORD, creds.salt, creds.iterations) == creds
    assert (await store.scram_credentials("alice")).credentials == creds


async def test_fake_scram_credentials_look_like_real_ones(store: AccountStoreBase) -> None:
    real = await store.scram_credentials((await store.register("alice", PASSWORD)).name)
    fake = await store.scram_credentials("Mallory")
    assert not fake.known and fake.account is None
    assert fake.credentials == (await store.scram_credentials("mallory")).credentials  # stable
    assert fake.credentials != (await store.scram_credentials("eve")).credentials
    assert fake.credentials.iterations == real.credentials.iterations
    assert len(fake.credentials.salt) == len(real.credentials.salt)
    # Even names that can never be accounts get an answer, not an error.
    assert not (await store.scram_credentials("not a nick!")).known


async def test_set_password(store: AccountStoreBase) -> None:
    await store.register("alice", PASSWORD)
    old = (await store.scram_credentials("alice")).credentials
    await store.set_password("ALICE", "a new passphrase")
    assert await store.verify_password("alice", PASSWORD) is None
    assert await store.verify_password("alice", "a new passphrase") is not None
    new = (await store.scram_credentials("alice")).credentials
    assert new != old and new.salt != old.salt
    assert derive_scram_credentials("a new passphrase", new.salt, new.iterations) == new
    with pytest.raises(WeakPassword):
        await store.set_password("alice", "short")
    with pytest.raises(NoSuchAccount):
        await store.set_password("bob", "a new passphrase")
    with pytest.raises(NoSuchAccount):
        await store.set_password("not a nick!", "a new passphrase")


async def test_hashes_are_upgraded_on_login(store: AccountStoreBase) -> None:
    await store.register("alice", PASSWORD)
    store._passwords = Passwords(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))
    assert await store.verify_password("alice", PASSWORD) is not None
    stored = await store._load_account("alice")
    assert stored is not None and "t=2" in stored.password_hash
    assert await store.verify_password("alice", PASSWORD) is not None


# --- registered channels -----------------------------------------------------------------------


def a_channel(**fields: object) -> ChannelRecord:
    values: dict[str, object] = {
        "name": "#Lobby",
        "founder_account": "Alice",
        "topic": "welcome",
        "topic_setter": "alice!a@host",
        "topic_time": T0 + timedelta(microseconds=123456),
        "modes": "nt",
        "key": "s3cret",
        "limit": 50,
        "bans": (ListEntry("*!*@bad.example", "alice", T0),),
        "excepts": (ListEntry("*!*@good.example", "alice", T0 + timedelta(seconds=1)),),
        "invex": (),
        "operators": frozenset({"Alice", "bob"}),
    }
    values.update(fields)
    return ChannelRecord(**values)  # type: ignore[arg-type]


async def test_register_and_get_channel(store: AccountStoreBase) -> None:
    await store.register("Alice", PASSWORD)
    saved = await store.register_channel(a_channel())
    assert saved.registered is not None
    assert saved.operators == frozenset({"alice", "bob"})  # casefolded
    assert saved.topic_time == T0 + timedelta(microseconds=123000)  # kept to the millisecond
    assert await store.get_channel("#LOBBY") == saved
    assert await store.get_channel("#other") is None
    assert saved.folded == "#lobby"


async def test_channel_founder_must_have_an_account(store: AccountStoreBase) -> None:
    with pytest.raises(NoSuchAccount):
        await store.register_channel(a_channel())
    assert await store.get_channel("#lobby") is None


async def test_channel_registered_once(store: AccountStoreBase) -> None:
    await store.register("Alice", PASSWORD)
    await store.register_channel(a_channel())
    with pytest.raises(ChannelAlreadyRegistered):
        await store.register_channel(a_channel(name="#LOBBY"))


async def test_update_channel(store: AccountStoreBase) -> None:
    await store.register("Alice", PASSWORD)
    saved = await store.register_channel(a_channel())
    changed = replace(
        saved,
        topic=None,
        topic_setter=None,
        topic_time=None,
        key=None,
        limit=None,
        modes="imnst",
        bans=(*saved.bans, ListEntry("troll!*@*", "bob", T0)),
        operators=frozenset({"alice"}),
    )
    assert await store.update_channel(changed) == changed
    assert await store.get_channel("#lobby") == changed
    # Leaving `registered` out keeps the original registration time.
    again = await store.update_channel(replace(changed, registered=None, topic="back"))
    assert again.registered == saved.registered
    with pytest.raises(ChannelNotRegistered):
        await store.update_channel(a_channel(name="#nowhere"))


async def test_unregister_and_list_channels(store: AccountStoreBase) -> None:
    await store.register("Alice", PASSWORD)
    for name in ("#b", "#C", "#a"):
        await store.register_channel(a_channel(name=name))
    assert [c.name for c in await store.list_channels()] == ["#a", "#b", "#C"]
    assert await store.unregister_channel("#B")
    assert not await store.unregister_channel("#b")
    assert [c.name for c in await store.list_channels()] == ["#a", "#C"]


@pytest.mark.parametrize(
    "bad", [{"name": "lobby"}, {"name": "#a b"}, {"limit": 0}, {"modes": "n+t"}]
)
async def test_invalid_channel_records(store: AccountStoreBase, bad: dict[str, object]) -> None:
    await store.register("Alice", PASSWORD)
    with pytest.raises(InvalidChannelRecord):
        await store.register_channel(a_channel(**bad))


# --- server bans -------------------------------------------------------------------------------


async def test_bans(store: AccountStoreBase) -> None:
    first = BanRecord("*!*@203.0.113.7", "spam", "oper", T0)
    second = BanRecord(
        "Troll!*@*", "trolling", "oper", T0 + timedelta(minutes=1), T0 + timedelta(days=1)
    )
    await store.add_ban(second)
    await store.add_ban(first)
    assert await store.list_bans(T0 + timedelta(hours=1)) == [first, second]
    # Same mask in another case replaces it.
    renewed = replace(second, mask="troll!*@*", reason="again")
    await store.add_ban(renewed)
    assert await store.list_bans(T0 + timedelta(hours=1)) == [first, renewed]
    assert await store.remove_ban("*!*@203.0.113.7")
    assert not await store.remove_ban("*!*@203.0.113.7")
    assert await store.list_bans(T0 + timedelta(hours=1)) == [renewed]


async def test_expired_bans_are_dropped(store: AccountStoreBase) -> None:
    ban = BanRecord("*!*@h", "r", "oper", T0, T0 + timedelta(hours=1))
    await store.add_ban(ban)
    assert await store.list_bans(T0 + timedelta(minutes=59)) == [ban]
    assert await store.list_bans(T0 + timedelta(hours=1)) == []
    assert await store.list_bans(T0) == []  # deleted, not just hidden
    await store.add_ban(BanRecord("*!*@forever", "r", "oper", T0))
    assert len(await store.list_bans()) == 1


async def test_bad_ban_mask_is_a_caller_bug(store: AccountStoreBase) -> None:
    with pytest.raises(ValueError):
        await store.add_ban(BanRecord("a b", "r", "oper", T0))


# --- lifecycle and the event loop --------------------------------------------------------------


async def test_closed_store_refuses_everything(store: AccountStoreBase) -> None:
    await store.register("alice", PASSWORD)
    await asyncio.gather(store.close(), store.close())
    await store.close()
    with pytest.raises(AccountStoreClosed) as caught:
        await store.get("alice")
    assert isinstance(caught.value, StoreClosedError)
    assert "account store is closed" in str(caught.value)
    for call in (
        store.verify_password("alice", PASSWORD),
        store.scram_credentials("alice"),
        store.register("bob", PASSWORD),
        store.list_channels(),
        store.list_bans(),
    ):
        with pytest.raises(AccountStoreClosed):
            await call


@pytest.mark.parametrize("kind", BACKENDS)
async def test_hashing_does_not_block_the_loop(kind: str, opener: Opener) -> None:
    slow = Passwords(PasswordHasher(time_cost=3, memory_cost=16384, parallelism=1))
    store = await opener(kind, passwords=slow)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        await store.register("alice", PASSWORD)
        await store.verify_password("alice", "wrong password")
    finally:
        task.cancel()
        await store.close()
    assert ticks > 10


# Not over PostgreSQL: the property belongs to AccountStoreBase, which every backend shares,
# and a database round trip on a busy machine only adds noise to the ratio.
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_unknown_name_costs_as_much_as_a_wrong_password(kind: str, opener: Opener) -> None:
    # A property of the dummy-hash design, not a speed goal: the three kinds of name are
    # timed in turn, round after round, so a busy machine slows them alike, and the
    # fastest of each is compared (the least disturbed run), with a generous ratio. A
    # store that skipped the hash for unknown names would be a hundred times faster.
    costly = Passwords(PasswordHasher(time_cost=1, memory_cost=16384, parallelism=1))
    store = await opener(kind, passwords=costly)
    names = ("alice", "nobody", "not a nick!")
    fastest = dict.fromkeys(names, float("inf"))
    try:
        await store.register("alice", PASSWORD)
        assert await store.verify_password("alice", "wrong password") is None  # warm up
        for _ in range(9):
            for name in names:
                start = time.perf_counter()
                assert await store.verify_password(name, "wrong password") is None
                fastest[name] = min(fastest[name], time.perf_counter() - start)
    finally:
        await store.close()
    wrong, missing, invalid = (fastest[name] for name in names)
    assert 0.5 < missing / wrong < 2.0, (missing, wrong)
    assert 0.5 < invalid / wrong < 2.0, (invalid, wrong)
