"""Helpers for the account-store tests: cheap hashing, and a store of each backend."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Literal

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


class CountingHasher(PasswordHasher):
    """Cheap argon2 that records how many verifications run at once, and in what order
    they started."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.started.append(str(password))
        try:
            time.sleep(0.002)  # long enough for the others to pile up behind
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1
