"""Password hashing with argon2id (argon2-cffi). Slow and memory-hungry on purpose.

:class:`Passwords` binds one argon2 parameter set to a *dummy hash* with the same
parameters: verifying against "no stored hash" runs a real verification of the dummy, so the
time taken does not reveal whether an operator or account name exists. The dummy is not
hashed from anything: it is a PHC string with the hasher's parameters and random salt and
tag, which costs exactly what a stored hash costs to verify (argon2 runs with the parameters
the string names) and which no password matches. So nothing is hashed at import or start,
and argon2 itself is imported on first use.

Parameters (:data:`MEMORY_COST_KIB`, :data:`TIME_COST`, :data:`PARALLELISM`): argon2id,
m = 19 MiB, t = 2, p = 1, the minimum the OWASP Password Storage Cheat Sheet recommends.
RFC 9106 section 4 names two profiles, 2 GiB and 64 MiB of memory per hash, for a machine
that hashes one password at a time; a chat server checks many logins at once (a restart
brings every client back), and each hash in flight holds its memory: at 64 MiB, 50 logins
at once took the server from 40 to 170 MB. OWASP's options are equally strong against
offline guessing (more passes make up for less memory); the 19 MiB one lets several logins
run side by side without a memory spike. p = 1: one thread per hash, so concurrency comes
from :attr:`Passwords.concurrency` hashes on as many threads, never from threads within a
hash competing with the others. Hashes made with other parameters (the 64 MiB ones from
before) still verify, and :meth:`Passwords.needs_rehash` tells the account store to upgrade
them at the next successful login.

Concurrency is bounded: :meth:`Passwords.run` queues work on a pool of
:attr:`~Passwords.concurrency` threads, first come first served, so the memory of hashing is
at most ``concurrency x memory_cost`` however many logins arrive at once.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = [
    "MEMORY_BUDGET_KIB",
    "MEMORY_COST_KIB",
    "PARALLELISM",
    "TIME_COST",
    "Passwords",
    "default_concurrency",
    "hash_password",
    "shared",
    "use_concurrency",
    "verify_password",
]

T = TypeVar("T")

# argon2id parameters of new hashes: OWASP's minimum (see the module docstring).
MEMORY_COST_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1

MEMORY_BUDGET_KIB = 64 * 1024
"""Memory that hashes in flight may hold together by default (see :func:`default_concurrency`)."""

MAX_DEFAULT_CONCURRENCY = 4


def default_concurrency(memory_cost_kib: int = MEMORY_COST_KIB) -> int:
    """Hashes at once by default: one per CPU (at most 4), and no more than fit in
    :data:`MEMORY_BUDGET_KIB` (at least one)."""
    by_memory = MEMORY_BUDGET_KIB // max(memory_cost_kib, 1)
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_CONCURRENCY, by_memory))


def _b64(data: bytes) -> str:
    # The PHC string format's base64: standard alphabet, no padding.
    return base64.b64encode(data).decode("ascii").rstrip("=")


class Passwords:
    """argon2id hashing with a dummy hash of the same cost, at most :attr:`concurrency`
    hashes at once (see the module docstring).

    :meth:`hash`, :meth:`verify` and :meth:`needs_rehash` are CPU- and memory-heavy (tens of
    milliseconds, the hasher's memory cost) and thread-safe: call them through :meth:`run`
    (or :meth:`check`), never on the event loop. *hasher* defaults to :data:`MEMORY_COST_KIB` etc.;
    tests pass a cheap one. *concurrency* defaults to :func:`default_concurrency`.
    """

    def __init__(self, hasher: PasswordHasher | None = None, *, concurrency: int | None = None):
        self._hasher = hasher
        self._dummy: str | None = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        memory = hasher.memory_cost if hasher is not None else MEMORY_COST_KIB
        self.concurrency = concurrency or default_concurrency(memory)

    @property
    def hasher(self) -> PasswordHasher:
        """The argon2 hasher (argon2 is imported on first use)."""
        if self._hasher is None:
            from argon2 import PasswordHasher

            with self._lock:
                if self._hasher is None:
                    self._hasher = PasswordHasher(
                        time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM
                    )
        return self._hasher

    @property
    def dummy(self) -> str:
        """A hash with this hasher's parameters that no password matches (made, not hashed)."""
        if self._dummy is None:
            hasher = self.hasher
            self._dummy = (
                f"$argon2{hasher.type.name.lower()}$v=19$m={hasher.memory_cost},t={hasher.time_cost},"
                f"p={hasher.parallelism}${_b64(secrets.token_bytes(hasher.salt_len))}"
                f"${_b64(secrets.token_bytes(hasher.hash_len))}"
            )
        return self._dummy

    def hash(self, password: str) -> str:
        """An argon2id hash of *password* (PHC string format, salt included)."""
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True if *password* matches the hash *stored*; None: always False, same cost."""
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            matched = self.hasher.verify(stored if stored is not None else self.dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        return matched and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        """True if *stored* was made with other parameters than this hasher's (upgrade it
        on the next successful login)."""
        from argon2.exceptions import InvalidHashError

        try:
            return self.hasher.check_needs_rehash(stored)
        except (InvalidHashError, ValueError):
            return True

    async def run(self, work: Callable[[], T]) -> T:
        """Run *work* (hashing) on this hasher's threads: at most :attr:`concurrency` at
        once, started in the order they were asked for. Raises RuntimeError after
        :meth:`close`."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="chatroom-hash")
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    async def check(self, stored: str | None, password: str) -> bool:
        """:meth:`verify` through :meth:`run`."""
        return await self.run(functools.partial(self.verify, stored, password))

    async def close(self) -> None:
        """Wait for the hashing in progress and stop the threads (later :meth:`run` calls
        start new ones)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True)


_shared: Passwords | None = None


def shared() -> Passwords:
    """The process's :class:`Passwords`: account logins, registrations and OPER share it,
    so its bound is the bound of the whole process."""
    global _shared
    if _shared is None:
        _shared = Passwords()
    return _shared


def use_concurrency(concurrency: int) -> Passwords:
    """Make :func:`shared` hash at most *concurrency* passwords at once (0: the default);
    call it at start, before anything hashes."""
    global _shared
    _shared = Passwords(concurrency=concurrency or None)
    return _shared


def hash_password(password: str) -> str:
    """An argon2id hash for the config file."""
    return shared().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True if ``password`` matches the hash ``stored`` (None: always False, same cost).
    Blocking: on the event loop, call it through ``shared().run``."""
    return shared().verify(stored, password)
