"""Password hashing with argon2id (argon2-cffi). Slow on purpose: call off the loop."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A real hash of a random string, verified when there is no account, so the
# time taken does not reveal whether a name exists.
_DUMMY = _hasher.hash("chatroom: no such operator")


def hash_password(password: str) -> str:
    """An argon2id hash for the config file."""
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True if ``password`` matches the hash ``stored`` (None: always False, same cost)."""
    try:
        return _hasher.verify(stored if stored is not None else _DUMMY, password) and (
            stored is not None
        )
    except (VerificationError, InvalidHashError):
        return False
