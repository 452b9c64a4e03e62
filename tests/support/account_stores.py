"""Helpers for the account-store tests: cheap hashing, and a store of each backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from chatroom.storage.accounts_base import AccountStoreBase
from chatroom.storage.accounts_memory import MemoryAccountStore
from chatroom.storage.accounts_postgres import PostgresAccountStore
from chatroom.storage.accounts_sqlite import SQLiteAccountStore
from chatroom.storage.passwords import Passwords

#: argon2id at its cheapest, so that tests hash in well under a millisecond. The contract
#: does not depend on the cost; the timing test picks a dearer one.
CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

#: Fewer PBKDF2 rounds than the default 4096, for speed; the value itself is under test.
ITERATIONS = 256


async def open_store(
    kind: str, tmp_path: Path, *, dsn: str | None = None, **options: Any
) -> AccountStoreBase:
    """A fresh store of backend *kind*: "memory", "sqlite" (in tmp_path) or "postgres" (at
    *dsn*, an empty database or schema: see the ``postgres_dsn`` fixture)."""
    options.setdefault("passwords", CHEAP)
    options.setdefault("scram_iterations", ITERATIONS)
    if kind == "memory":
        return MemoryAccountStore(**options)
    if kind == "postgres":
        assert dsn is not None, "the postgres backend needs the postgres_dsn fixture"
        return await PostgresAccountStore.open(dsn, **options)
    return await SQLiteAccountStore.open(tmp_path / "accounts.db", **options)
