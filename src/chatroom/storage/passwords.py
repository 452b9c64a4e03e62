"""Password hashing with argon2id (argon2-cffi). Slow on purpose: call off the loop.

:class:`Passwords` binds one argon2 parameter set to a *dummy hash* made with the same
parameters: verifying against "no stored hash" runs a real verification of the dummy, so the
time taken does not reveal whether an operator or account name exists. The module-level
:func:`hash_password` / :func:`verify_password` use the default parameters (argon2-cffi's
RFC 9106 "low memory" profile: 64 MiB, 3 passes); tests may build a cheaper
``Passwords(PasswordHasher(...))``.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["Passwords", "hash_password", "verify_password"]


class Passwords:
    """argon2id hashing with a dummy hash of the same cost (see the module docstring).

    Every method is CPU- and memory-heavy (tens of milliseconds, the hasher's memory cost):
    run it in a worker thread, never on the event loop. Thread-safe.
    """

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher if hasher is not None else PasswordHasher()
        # A real hash of a random secret: nothing verifies against it, and it costs exactly
        # what a stored hash made by this hasher costs.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        """An argon2id hash of *password* (PHC string format, salt included)."""
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True if *password* matches the hash *stored*; None: always False, same cost."""
        try:
            matched = self.hasher.verify(stored if stored is not None else self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        return matched and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        """True if *stored* was made with other parameters than this hasher's (upgrade it
        on the next successful login)."""
        try:
            return self.hasher.check_needs_rehash(stored)
        except (InvalidHashError, ValueError):
            return True


# Built at import, not on first use: a first verification that also had to build the dummy
# would take twice as long, and reveal that the name does not exist.
_default = Passwords()


def hash_password(password: str) -> str:
    """An argon2id hash for the config file."""
    return _default.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True if ``password`` matches the hash ``stored`` (None: always False, same cost)."""
    return _default.verify(stored, password)
