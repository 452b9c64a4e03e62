"""argon2id hashing, and the dummy hash that hides whether a name exists."""

from __future__ import annotations

from argon2 import PasswordHasher

from chatroom.storage.passwords import Passwords, hash_password, verify_password

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
