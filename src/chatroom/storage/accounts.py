"""Accounts, registered channels and server bans: records, errors and the ``AccountStore``.

The server core talks to this storage only through the :class:`AccountStore` protocol
(STYLE.md rule 6). Two backends implement it on top of
:class:`~.accounts_base.AccountStoreBase`, which holds every rule, so they cannot drift
apart: :class:`~.accounts_memory.MemoryAccountStore` (tests) and
:class:`~.accounts_sqlite.SQLiteAccountStore` (the default: ``accounts.db`` in the data
directory, opened with :func:`~.accounts_sqlite.open_accounts`).

Calling convention
    Every method is a coroutine to be awaited on the event loop that opened the store; none
    blocks it. argon2 hashing (tens of milliseconds and the hasher's memory, 64 MiB by
    default) runs on a small dedicated thread pool, which also bounds how much CPU and memory
    a flood of logins can take; SQLite runs on a thread of its own.

Names
    Account names follow the nick rules (:func:`chatroom.protocol.casemap.is_valid_nick`) and
    are looked up casefolded (``CASEMAPPING=ascii``), keeping the spelling given at
    registration for display (:attr:`Account.name`). Channel names and ban masks are looked up
    casefolded too. Callers may pass any spelling.

Passwords
    A password is normalised with SASLprep (:func:`chatroom.protocol.sasl.saslprep`) and then
    kept only as an argon2id hash (for PLAIN, REGISTER, and anything else that sees the
    password) and as a SCRAM-SHA-256 verifier (salt, iterations, StoredKey, ServerKey) for
    SCRAM, which never sees it. Neither is ever returned by :meth:`AccountStore.get`.

Not revealing which accounts exist
    :meth:`AccountStore.verify_password` for an unknown name verifies the password against a
    dummy hash of the same cost, and :meth:`AccountStore.scram_credentials` hands out fake
    credentials derived from the name with a secret key (stable across restarts in the SQLite
    backend), so both cost and look the same whether or not the account exists. (REGISTER
    does reveal it, by its nature: ACCOUNT_EXISTS.)

Errors, under :class:`~chatroom.storage.errors.StorageError`; ``code`` is the IRCv3
``FAIL REGISTER`` code (draft/account-registration) where one applies::

    StorageError
    ├── AccountError                request refused; nothing was changed
    │   ├── AccountExists           ACCOUNT_EXISTS
    │   ├── NoSuchAccount           (a channel founder, or set_password on a missing name)
    │   ├── InvalidAccountName      BAD_ACCOUNT_NAME
    │   ├── WeakPassword            WEAK_PASSWORD (too short, too long, control characters)
    │   ├── InvalidEmail            INVALID_EMAIL
    │   ├── InvalidChannelRecord    a record the store cannot keep (bad name, limit …)
    │   ├── ChannelAlreadyRegistered
    │   └── ChannelNotRegistered
    └── StorageUnavailableError     disk full, I/O error … (TEMPORARILY_UNAVAILABLE)
        ├── StorageCorruptError     the file is damaged
        └── StoreClosedError
            └── AccountStoreClosed  used after close()

Times are aware ``datetime`` objects, kept to the millisecond like history's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol

from chatroom.protocol.casemap import casefold
from chatroom.protocol.sasl import ScramCredentials, saslprep

from .errors import StorageError, StorageUnavailableError, StoreClosedError

__all__ = [
    "ACCOUNTS_FILENAME",
    "MAX_PASSWORD_BYTES",
    "MIN_PASSWORD_CHARS",
    "Account",
    "AccountError",
    "AccountExists",
    "AccountStore",
    "AccountStoreClosed",
    "BanRecord",
    "ChannelAlreadyRegistered",
    "ChannelNotRegistered",
    "ChannelRecord",
    "InvalidAccountName",
    "InvalidChannelRecord",
    "InvalidEmail",
    "ListEntry",
    "NoSuchAccount",
    "ScramLookup",
    "StoredAccount",
    "WeakPassword",
    "check_email",
    "check_password",
]

#: File name of the SQLite account database inside the data directory.
ACCOUNTS_FILENAME = "accounts.db"
#: Shortest acceptable password, in characters after SASLprep.
MIN_PASSWORD_CHARS = 8
#: Longest acceptable password, in UTF-8 bytes after SASLprep (a security limit: argon2 and
#: PBKDF2 both take time proportional to it, and AUTHENTICATE payloads are bounded anyway).
MAX_PASSWORD_BYTES = 300
_MAX_EMAIL = 254  # RFC 5321 section 4.5.3.1.3, as commonly applied to whole addresses
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f.]+")


# --- errors ------------------------------------------------------------------------------------


class AccountError(StorageError):
    """The request was refused because of what it asked for; the store is unchanged."""

    code = "ACCOUNT_ERROR"


class AccountExists(AccountError):
    """An account with this name (casefolded) is already registered."""

    code = "ACCOUNT_EXISTS"


class NoSuchAccount(AccountError):
    """No account has this name."""

    code = "ACCOUNT_DOES_NOT_EXIST"


class InvalidAccountName(AccountError):
    """The name cannot be an account name: it breaks the nick rules or is too long."""

    code = "BAD_ACCOUNT_NAME"


class WeakPassword(AccountError):
    """The password is too short, too long, or holds characters SASLprep refuses."""

    code = "WEAK_PASSWORD"


class InvalidEmail(AccountError):
    """The e-mail address does not look like one."""

    code = "INVALID_EMAIL"


class InvalidChannelRecord(AccountError):
    """The channel record cannot be stored as it is (bad name, negative limit …)."""


class ChannelAlreadyRegistered(AccountError):
    """The channel is registered already (by anyone)."""


class ChannelNotRegistered(AccountError):
    """The channel is not registered."""


class AccountStoreClosed(StoreClosedError):
    """The account store was used after ``close()``."""

    def __init__(self) -> None:
        StorageUnavailableError.__init__(self, "the account store is closed.")


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
    """A registered account as the server sees it: never any password material."""

    name: str
    """The name as registered: what ``account-tag``, WHOIS and 900 RPL_LOGGEDIN show."""
    created: datetime
    email: str | None = None

    @property
    def folded(self) -> str:
        """The casefolded name: compare accounts by this."""
        return casefold(self.name)


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """An account with its secrets, as a backend keeps it (internal to the storage layer)."""

    account: Account
    password_hash: str
    scram: ScramCredentials


@dataclass(frozen=True, slots=True)
class ScramLookup:
    """Answer of :meth:`AccountStore.scram_credentials`.

    ``credentials`` are real when ``account`` is not None, otherwise fake ones that are
    stable per name. Pass ``known=lookup.known`` to
    :meth:`~chatroom.protocol.sasl.ScramExchange.server_first`, and log ``account`` in after
    a successful exchange.
    """

    credentials: ScramCredentials
    account: Account | None

    @property
    def known(self) -> bool:
        """True if the credentials belong to a real account."""
        return self.account is not None


class ListEntry(NamedTuple):
    """One entry of a channel's ban, exception or invite-exception list (RPL_BANLIST …)."""

    mask: str
    setter: str
    time: datetime


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    """What a registered channel remembers across restarts (issue 6).

    ``modes`` holds the parameterless channel mode letters (``"nt"``); the key (+k) and user
    limit (+l) have fields of their own. ``operators`` are *casefolded account names* given
    channel-operator status on join; the store casefolds them. Build changes with
    :func:`dataclasses.replace` and save them with :meth:`AccountStore.update_channel`.
    ``registered`` is set by the store when left None.
    """

    name: str
    founder_account: str
    topic: str | None = None
    topic_setter: str | None = None
    topic_time: datetime | None = None
    modes: str = ""
    key: str | None = None
    limit: int | None = None
    bans: tuple[ListEntry, ...] = ()
    excepts: tuple[ListEntry, ...] = ()
    invex: tuple[ListEntry, ...] = ()
    operators: frozenset[str] = field(default_factory=frozenset)
    registered: datetime | None = None

    @property
    def folded(self) -> str:
        """The casefolded channel name: the record's identity."""
        return casefold(self.name)


@dataclass(frozen=True, slots=True)
class BanRecord:
    """A server-wide ban set by an operator: a ``nick!user@host`` mask (or an address as
    ``*!*@addr``), with the reason shown to the banned, and an optional expiry."""

    mask: str
    reason: str
    setter: str
    created: datetime
    expires: datetime | None = None

    def expired(self, now: datetime) -> bool:
        """True if the ban no longer applies at *now*."""
        return self.expires is not None and self.expires <= now


# --- the protocol ------------------------------------------------------------------------------


class AccountStore(Protocol):
    """Accounts, registered channels and server bans (see the module docstring)."""

    async def register(
        self,
        name: str,
        password: str,
        email: str | None = None,
        *,
        min_password_chars: int = MIN_PASSWORD_CHARS,
    ) -> Account:
        """Create an account; raise :class:`InvalidAccountName`, :class:`WeakPassword`
        (shorter than *min_password_chars*: the server's policy, from its config),
        :class:`InvalidEmail` or :class:`AccountExists` (checked in that order)."""
        ...

    async def verify_password(self, name: str, password: str) -> Account | None:
        """The account if *password* is right, else None; same cost for unknown names."""
        ...

    async def scram_credentials(self, name: str) -> ScramLookup:
        """SCRAM-SHA-256 credentials for *name*: real ones, or fake ones if unknown."""
        ...

    async def get(self, name: str) -> Account | None:
        """The account called *name* (any case), or None."""
        ...

    async def set_password(self, name: str, password: str) -> None:
        """Replace the password; raise :class:`NoSuchAccount` or :class:`WeakPassword`."""
        ...

    async def register_channel(self, record: ChannelRecord) -> ChannelRecord:
        """Register a channel; return it as stored. Raise :class:`ChannelAlreadyRegistered`,
        :class:`NoSuchAccount` (founder) or :class:`InvalidChannelRecord`."""
        ...

    async def get_channel(self, name: str) -> ChannelRecord | None:
        """The registered channel *name*, or None."""
        ...

    async def update_channel(self, record: ChannelRecord) -> ChannelRecord:
        """Replace a registered channel's record; raise :class:`ChannelNotRegistered`."""
        ...

    async def unregister_channel(self, name: str) -> bool:
        """Forget a registered channel; False if it was not registered."""
        ...

    async def list_channels(self) -> list[ChannelRecord]:
        """Every registered channel, by casefolded name (to restore them at startup)."""
        ...

    async def add_ban(self, ban: BanRecord) -> None:
        """Add a server ban, replacing one with the same mask (casefolded)."""
        ...

    async def remove_ban(self, mask: str) -> bool:
        """Remove the server ban on *mask*; False if there was none."""
        ...

    async def list_bans(self, now: datetime | None = None) -> list[BanRecord]:
        """The bans in force at *now* (default: the current time), oldest first; expired
        ones are deleted."""
        ...

    async def close(self) -> None:
        """Finish work in flight and release the store; idempotent."""
        ...


# --- validation --------------------------------------------------------------------------------


def check_password(password: str, min_chars: int = MIN_PASSWORD_CHARS) -> str:
    """Return *password* normalised (SASLprep), or raise :class:`WeakPassword` (also
    when it has fewer than *min_chars* characters)."""
    try:
        normalized = saslprep(password)
    except ValueError as exc:
        raise WeakPassword(f"the password {exc}.") from None
    if len(normalized) < min_chars:
        raise WeakPassword(f"a password needs at least {min_chars} characters.")
    if len(normalized.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise WeakPassword(f"a password may be at most {MAX_PASSWORD_BYTES} bytes long.")
    return normalized


def check_email(email: str | None) -> None:
    """Raise :class:`InvalidEmail` unless *email* is None or looks like an address."""
    if email is not None and (len(email) > _MAX_EMAIL or not _EMAIL.fullmatch(email)):
        raise InvalidEmail(f"{email!r} is not an e-mail address.")
