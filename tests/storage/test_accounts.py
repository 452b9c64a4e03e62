"""The account vocabulary: records, validation helpers and the error tree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatroom.protocol.sasl import derive_scram_credentials
from chatroom.storage.accounts import (
    MAX_PASSWORD_BYTES,
    MIN_PASSWORD_CHARS,
    Account,
    AccountError,
    AccountExists,
    AccountStoreClosed,
    BanRecord,
    ChannelRecord,
    InvalidAccountName,
    InvalidEmail,
    ScramLookup,
    WeakPassword,
    check_email,
    check_password,
)
from chatroom.storage.errors import StorageError, StorageUnavailableError, StoreClosedError

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def test_check_password_normalises_and_bounds() -> None:
    assert check_password("\u2168 and more") == "IX and more"
    assert check_password("x" * MIN_PASSWORD_CHARS) == "x" * MIN_PASSWORD_CHARS
    assert check_password("x" * MAX_PASSWORD_BYTES)
    for weak in ("x" * (MIN_PASSWORD_CHARS - 1), "x" * (MAX_PASSWORD_BYTES + 1), "tab\there!"):
        with pytest.raises(WeakPassword):
            check_password(weak)


def test_check_email() -> None:
    check_email(None)
    check_email("someone@example.org")
    for bad in ("someone", "@example.org", "a@b", "a@b.", "x@" + "y" * 260 + ".org", "a\n@b.c"):
        with pytest.raises(InvalidEmail):
            check_email(bad)


def test_records() -> None:
    assert Account("Alice", T0).folded == "alice"
    assert ChannelRecord("#Lobby", "alice").folded == "#lobby"
    ban = BanRecord("*!*@h", "r", "oper", T0, T0 + timedelta(hours=1))
    assert not ban.expired(T0)
    assert ban.expired(T0 + timedelta(hours=1))
    assert not BanRecord("*!*@h", "r", "oper", T0).expired(T0 + timedelta(days=9999))
    creds = derive_scram_credentials("password", b"salt" * 4, 1)
    assert ScramLookup(creds, Account("a", T0)).known
    assert not ScramLookup(creds, None).known


def test_error_tree_and_codes() -> None:
    for error in (AccountExists, InvalidAccountName, WeakPassword, InvalidEmail):
        assert issubclass(error, AccountError) and issubclass(error, StorageError)
    assert [e.code for e in (AccountExists, InvalidAccountName, WeakPassword, InvalidEmail)] == [
        "ACCOUNT_EXISTS",
        "BAD_ACCOUNT_NAME",
        "WEAK_PASSWORD",
        "INVALID_EMAIL",
    ]
    closed = AccountStoreClosed()
    assert isinstance(closed, StoreClosedError) and isinstance(closed, StorageUnavailableError)
    assert str(closed) == "the account store is closed."
