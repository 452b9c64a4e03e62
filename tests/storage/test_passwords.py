"""argon2id hashing, and the dummy hash that hides whether a name exists."""

from __future__ import annotations

import asyncio
import os

import pytest
from argon2 import PasswordHasher, extract_parameters

from chatroom.storage.accounts_memory import MemoryAccountStore
from chatroom.storage.passwords import (
    MEMORY_BUDGET_KIB,
    Passwords,
    default_concurrency,
    hash_password,
    verify_password,
)
from support.account_stores import CountingHasher

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def test_hash_then_verify() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash("correct horse")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert passwords.verify(stored, "correct horse")
    assert not passwords.verify(stored, "wrong horse")


def test_no_stored_hash_never_verifies() -> None:
    passwords = Passwords(CHEAP)
    assert not passwords.verify(None, "")
    assert not passwords.verify(None, "anything")


def test_damaged_hash_is_a_mismatch_not_an_error() -> None:
    assert not Passwords(CHEAP).verify("not a hash", "x")


def test_needs_rehash_when_parameters_change() -> None:
    cheap = Passwords(CHEAP)
    stored = cheap.hash("pw")
    assert not cheap.needs_rehash(stored)
    assert Passwords(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)).needs_rehash(
        stored
    )
    assert cheap.needs_rehash("garbage")


def test_module_functions_use_the_default_parameters() -> None:
    stored = hash_password("s3cret!")
    assert verify_password(stored, "s3cret!")
    assert not verify_password(stored, "s3cret?")
    assert not verify_password(None, "s3cret!")


def test_nothing_is_hashed_until_a_password_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # The dummy hash used to be hashed at import and per store (64 MiB, a third of a
    # second each), the start-up spike. It is now made, not hashed.
    hashed: list[str] = []
    monkeypatch.setattr(PasswordHasher, "hash", lambda self, pw, **kw: hashed.append(pw))
    passwords = Passwords()
    assert passwords.dummy.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert not passwords.verify(None, "anything")
    assert hashed == []


def test_the_dummy_costs_what_a_stored_hash_costs_and_matches_nothing() -> None:
    passwords = Passwords(CHEAP)
    dummy = passwords.dummy
    assert extract_parameters(dummy) == extract_parameters(passwords.hash("x"))
    assert not passwords.needs_rehash(dummy)
    assert not passwords.verify(None, "")
    assert passwords.dummy == dummy  # one per hasher


def test_default_parameters_are_owasp_minimum() -> None:
    # argon2id, 19 MiB, 2 passes, 1 lane: docs/performance.md says why.
    stored = Passwords().hash("pw")
    parameters = extract_parameters(stored)
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19456, 2, 1)
    # Hashes made with the former parameters (RFC 9106's 64 MiB profile) still verify,
    # and are upgraded at the next login.
    old = PasswordHasher(memory_cost=65536, time_cost=3, parallelism=4).hash("pw")
    assert Passwords().verify(old, "pw")
    assert Passwords().needs_rehash(old)


def test_default_concurrency_fits_the_memory_budget() -> None:
    assert 1 <= default_concurrency() <= 3  # 64 MiB // 19 MiB
    assert default_concurrency(MEMORY_BUDGET_KIB * 2) == 1
    assert default_concurrency(1) == min(os.cpu_count() or 1, 4)


async def test_fifty_logins_at_once_hash_at_most_concurrency_at_a_time_in_order() -> None:
    hasher = CountingHasher()
    store = MemoryAccountStore(passwords=Passwords(hasher, concurrency=3))
    names = [f"user{i}" for i in range(50)]
    for name in names[::2]:  # half of them exist: the dummy hash queues alike
        await store.register(name, f"{name} password")
    results = await asyncio.gather(
        *(store.verify_password(name, f"{name} password") for name in names)
    )
    await store.close()
    assert [r is not None for r in results] == [i % 2 == 0 for i in range(50)]
    assert hasher.most == 3  # the bound, reached and never passed: 3 x 19 MiB at most
    # First come, first served: each started within the bound of its place in the queue.
    order = [hasher.started.index(f"{name} password") for name in names]
    assert all(abs(place - i) < 3 for i, place in enumerate(order)), order
