"""The rules of every :class:`~chatroom.storage.accounts.AccountStore`, in one place.

:class:`AccountStoreBase` validates, hashes (off the loop), derives fake SCRAM credentials
and normalises records; a backend only supplies plain reads and writes by casefolded key.
Both backends therefore obey the same contract by construction, and one test suite checks it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from chatroom.protocol.casemap import casefold, is_channel_name, is_valid_nick
from chatroom.protocol.sasl import (
    DEFAULT_ITERATIONS,
    ScramCredentials,
    derive_scram_credentials,
    saslprep,
)
from chatroom.storage.passwords import Passwords, shared

from .accounts import (
    MIN_PASSWORD_CHARS,
    Account,
    AccountExists,
    AccountStoreClosed,
    BanRecord,
    ChannelAlreadyRegistered,
    ChannelNotRegistered,
    ChannelRecord,
    InvalidAccountName,
    InvalidChannelRecord,
    ListEntry,
    NoSuchAccount,
    ScramLookup,
    StoredAccount,
    check_email,
    check_password,
)
from .base import from_ms, to_ms, utc_now

__all__ = ["AccountStoreBase"]

T = TypeVar("T")


# --- validation and normalisation --------------------------------------------------------------


def _check_channel(record: ChannelRecord) -> ChannelRecord:
    if not is_channel_name(record.name) or any(c in record.name for c in " ,\x00\r\n\x07"):
        raise InvalidChannelRecord(f"{record.name!r} is not a channel name.")
    if record.limit is not None and record.limit < 1:
        raise InvalidChannelRecord("a channel's user limit must be positive.")
    if not all(mode.isascii() and mode.isalpha() for mode in record.modes):
        raise InvalidChannelRecord(f"channel modes must be letters, not {record.modes!r}.")
    return replace(record, operators=frozenset(casefold(a) for a in record.operators))


def _trunc(when: datetime) -> datetime:
    """*when* as the store gives it back: UTC, to the millisecond."""
    return from_ms(to_ms(when))


def _trunc_opt(when: datetime | None) -> datetime | None:
    return None if when is None else _trunc(when)


def _normalize_channel(record: ChannelRecord) -> ChannelRecord:
    """The record exactly as a backend will return it, so both backends agree."""

    def entries(items: Iterable[ListEntry]) -> tuple[ListEntry, ...]:
        return tuple(ListEntry(e.mask, e.setter, _trunc(e.time)) for e in items)

    return replace(
        record,
        topic_time=_trunc_opt(record.topic_time),
        registered=_trunc_opt(record.registered),
        bans=entries(record.bans),
        excepts=entries(record.excepts),
        invex=entries(record.invex),
    )


def _normalize_ban(ban: BanRecord) -> BanRecord:
    return replace(ban, created=_trunc(ban.created), expires=_trunc_opt(ban.expires))


# --- the shared implementation -----------------------------------------------------------------


class AccountStoreBase(ABC):
    """Every rule of :class:`AccountStore`, over a few storage primitives a backend supplies.

    Backends implement the ``_load_*``/``_insert_*``/… coroutines (plain reads and writes,
    casefolded keys, no validation) and :meth:`_close_backend`.

    *passwords* chooses the argon2 parameters and how many hashes run at once (each one
    holds the hasher's memory); default: the process's shared one
    (:func:`chatroom.storage.passwords.shared`), whose bound OPER checks share; tests pass
    cheaper ones. *hash_workers*, without *passwords*: a hasher of the default parameters
    of its own, with that bound. *secret* keys the fake SCRAM credentials.
    *scram_iterations* is used for new verifiers and for fake credentials: changing it
    makes accounts made before distinguishable from missing ones (by their iteration count)
    until their password is set again, so raise it rarely. *nick_length* is the longest
    account name, as for nicks.
    """

    def __init__(
        self,
        secret: bytes,
        *,
        passwords: Passwords | None = None,
        hash_workers: int | None = None,
        scram_iterations: int = DEFAULT_ITERATIONS,
        nick_length: int = 32,
    ) -> None:
        self._secret = secret
        if passwords is None:
            passwords = Passwords(concurrency=hash_workers) if hash_workers else shared()
        self._passwords = passwords
        self._hashes: set[asyncio.Future[Any]] = set()  # in flight, awaited by close()
        self.scram_iterations = scram_iterations
        self.nick_length = nick_length
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None

    # --- backend primitives ----------------------------------------------------------------

    @abstractmethod
    async def _load_account(self, folded: str) -> StoredAccount | None: ...

    @abstractmethod
    async def _insert_account(self, stored: StoredAccount) -> bool:
        """Insert unless the name is taken; return whether it was inserted."""

    @abstractmethod
    async def _update_secrets(
        self, folded: str, password_hash: str, scram: ScramCredentials
    ) -> bool:
        """Replace an account's secrets; return whether the account exists."""

    @abstractmethod
    async def _load_channel(self, folded: str) -> ChannelRecord | None: ...

    @abstractmethod
    async def _insert_channel(self, record: ChannelRecord) -> bool: ...

    @abstractmethod
    async def _replace_channel(self, record: ChannelRecord) -> bool: ...

    @abstractmethod
    async def _delete_channel(self, folded: str) -> bool: ...

    @abstractmethod
    async def _load_channels(self) -> list[ChannelRecord]: ...

    @abstractmethod
    async def _put_ban(self, ban: BanRecord) -> None: ...

    @abstractmethod
    async def _delete_bans(self, folded_masks: list[str]) -> int: ...

    @abstractmethod
    async def _load_bans(self) -> list[BanRecord]: ...

    @abstractmethod
    async def _close_backend(self) -> None: ...

    # --- helpers ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise AccountStoreClosed()

    async def _hashing(self, work: Callable[[], T]) -> T:
        """Run *work* in the hasher's queue (bounded, first come first served)."""
        self._check_open()

        def unless_closed() -> T:
            if self._closed:  # closed while this waited its turn: skip the costly part
                raise AccountStoreClosed()
            return work()

        future = asyncio.ensure_future(self._passwords.run(unless_closed))
        self._hashes.add(future)
        future.add_done_callback(self._hashes.discard)
        return await future

    def _secrets_for(self, normalized: str) -> tuple[str, ScramCredentials]:
        # Runs on the hashing pool: argon2 plus 4096 PBKDF2 rounds.
        password_hash = self._passwords.hash(normalized)
        scram = derive_scram_credentials(normalized, iterations=self.scram_iterations)
        return password_hash, scram

    def _fake_scram(self, folded: str) -> ScramCredentials:
        # Stable per name, unrelated to any password, unguessable without the secret; same
        # iteration count as new real accounts so nothing tells them apart.
        def derive(label: bytes) -> bytes:
            return hmac.new(
                self._secret, label + b"\x00" + folded.encode(), hashlib.sha256
            ).digest()

        return ScramCredentials(
            salt=derive(b"salt")[:16],
            iterations=self.scram_iterations,
            stored_key=derive(b"stored-key"),
            server_key=derive(b"server-key"),
        )

    def _account_key(self, name: str) -> str | None:
        """The lookup key of *name*, or None if no account can have that name."""
        return casefold(name) if is_valid_nick(name, self.nick_length) else None

    # --- accounts --------------------------------------------------------------------------

    async def register(
        self,
        name: str,
        password: str,
        email: str | None = None,
        *,
        min_password_chars: int = MIN_PASSWORD_CHARS,
    ) -> Account:
        """See :meth:`AccountStore.register`."""
        self._check_open()
        key = self._account_key(name)
        if key is None:
            raise InvalidAccountName(
                f"{name!r} cannot be an account name: use a valid nick of at most "
                f"{self.nick_length} characters."
            )
        normalized = check_password(password, min_password_chars)
        check_email(email)
        if await self._load_account(key) is not None:  # fail before the costly hashing
            raise AccountExists(f"the account {name!r} already exists.")
        password_hash, scram = await self._hashing(lambda: self._secrets_for(normalized))
        account = Account(name=name, created=utc_now(), email=email)
        if not await self._insert_account(StoredAccount(account, password_hash, scram)):
            raise AccountExists(f"the account {name!r} already exists.")  # lost a race
        return account

    async def verify_password(self, name: str, password: str) -> Account | None:
        """See :meth:`AccountStore.verify_password`."""
        self._check_open()
        key = self._account_key(name)
        stored = await self._load_account(key) if key is not None else None
        try:
            candidate = saslprep(password)
        except ValueError:
            # Cannot match any stored password; still pay the full price of a check.
            stored, candidate = None, password
        hashed = stored.password_hash if stored is not None else None
        ok = await self._hashing(lambda: self._passwords.verify(hashed, candidate))
        if not ok or stored is None:
            return None
        if self._passwords.needs_rehash(stored.password_hash):
            # Hashing parameters were raised since this hash was made: upgrade it now that
            # we hold the password.
            assert key is not None
            new_hash = await self._hashing(lambda: self._passwords.hash(candidate))
            await self._update_secrets(key, new_hash, stored.scram)
        return stored.account

    async def scram_credentials(self, name: str) -> ScramLookup:
        """See :meth:`AccountStore.scram_credentials`."""
        self._check_open()
        key = self._account_key(name)
        stored = await self._load_account(key) if key is not None else None
        if stored is None:
            return ScramLookup(self._fake_scram(casefold(name)), None)
        return ScramLookup(stored.scram, stored.account)

    async def get(self, name: str) -> Account | None:
        """See :meth:`AccountStore.get`."""
        self._check_open()
        key = self._account_key(name)
        stored = await self._load_account(key) if key is not None else None
        return None if stored is None else stored.account

    async def set_password(self, name: str, password: str) -> None:
        """See :meth:`AccountStore.set_password`."""
        self._check_open()
        normalized = check_password(password)
        key = self._account_key(name)
        if key is None or await self._load_account(key) is None:
            raise NoSuchAccount(f"there is no account {name!r}.")
        password_hash, scram = await self._hashing(lambda: self._secrets_for(normalized))
        if not await self._update_secrets(key, password_hash, scram):
            raise NoSuchAccount(f"there is no account {name!r}.")

    # --- channels --------------------------------------------------------------------------

    async def register_channel(self, record: ChannelRecord) -> ChannelRecord:
        """See :meth:`AccountStore.register_channel`."""
        self._check_open()
        record = _check_channel(record)
        if await self.get(record.founder_account) is None:
            raise NoSuchAccount(f"the founder {record.founder_account!r} has no account.")
        if record.registered is None:
            record = replace(record, registered=utc_now())
        record = _normalize_channel(record)
        if not await self._insert_channel(record):
            raise ChannelAlreadyRegistered(f"{record.name} is already registered.")
        return record

    async def get_channel(self, name: str) -> ChannelRecord | None:
        """See :meth:`AccountStore.get_channel`."""
        self._check_open()
        return await self._load_channel(casefold(name))

    async def update_channel(self, record: ChannelRecord) -> ChannelRecord:
        """See :meth:`AccountStore.update_channel`."""
        self._check_open()
        record = _normalize_channel(_check_channel(record))
        if record.registered is None:
            existing = await self._load_channel(record.folded)
            if existing is None:
                raise ChannelNotRegistered(f"{record.name} is not registered.")
            record = replace(record, registered=existing.registered)
        if not await self._replace_channel(record):
            raise ChannelNotRegistered(f"{record.name} is not registered.")
        return record

    async def unregister_channel(self, name: str) -> bool:
        """See :meth:`AccountStore.unregister_channel`."""
        self._check_open()
        return await self._delete_channel(casefold(name))

    async def list_channels(self) -> list[ChannelRecord]:
        """See :meth:`AccountStore.list_channels`."""
        self._check_open()
        return sorted(await self._load_channels(), key=lambda record: record.folded)

    # --- server bans -----------------------------------------------------------------------

    async def add_ban(self, ban: BanRecord) -> None:
        """See :meth:`AccountStore.add_ban`."""
        self._check_open()
        if not ban.mask or any(c in ban.mask for c in " \x00\r\n"):
            raise ValueError(f"not a ban mask: {ban.mask!r}")
        await self._put_ban(_normalize_ban(ban))

    async def remove_ban(self, mask: str) -> bool:
        """See :meth:`AccountStore.remove_ban`."""
        self._check_open()
        return await self._delete_bans([casefold(mask)]) > 0

    async def list_bans(self, now: datetime | None = None) -> list[BanRecord]:
        """See :meth:`AccountStore.list_bans`."""
        self._check_open()
        when = now if now is not None else utc_now()
        bans = await self._load_bans()
        expired = [casefold(ban.mask) for ban in bans if ban.expired(when)]
        if expired:
            await self._delete_bans(expired)
        live = [ban for ban in bans if not ban.expired(when)]
        return sorted(live, key=lambda ban: (ban.created, casefold(ban.mask)))

    # --- lifecycle -------------------------------------------------------------------------

    async def close(self) -> None:
        """See :meth:`AccountStore.close`: new calls fail at once with
        :class:`AccountStoreClosed`; hashing in flight finishes, then the backend closes."""
        if self._close_task is None:
            self._closed = True
            self._close_task = asyncio.get_running_loop().create_task(self._shutdown())
        await asyncio.shield(self._close_task)

    async def _shutdown(self) -> None:
        if self._hashes:  # the hasher may be shared: wait for ours, not for the queue
            await asyncio.wait(list(self._hashes))
        await self._close_backend()
