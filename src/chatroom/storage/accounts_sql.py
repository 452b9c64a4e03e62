"""The account tables' SQL, written once for SQLite and PostgreSQL (see :mod:`.sql`).

:class:`SqlAccountStore` implements every primitive of
:class:`~chatroom.storage.accounts_base.AccountStoreBase` as a plan over these statements;
a backend supplies only :meth:`SqlAccountStore._run` (how a plan reaches its driver), its
connections and its lifecycle. Rows are laid out by :mod:`chatroom.storage.accounts_rows`.
"""

from __future__ import annotations

import secrets
from abc import abstractmethod
from typing import Any, TypeVar

from chatroom.protocol.casemap import casefold
from chatroom.protocol.sasl import ScramCredentials

from .accounts import BanRecord, ChannelRecord, StoredAccount
from .accounts_base import AccountStoreBase
from .accounts_rows import (
    ACCOUNT_COLUMNS,
    BAN_COLUMNS,
    CHANNEL_COLUMNS,
    account_from_row,
    account_row,
    ban_from_row,
    channel_from_row,
    channel_row,
    ms_or_none,
)
from .base import to_ms
from .sql import Dialect, SqlPlan, execute, fetch_all, fetch_one, statement, words

__all__ = ["OWNED_TABLES", "SqlAccountStore", "account_ddl", "secret_key"]

T = TypeVar("T")

# --- the schema (DDL in released migrations: never edit what a release created) ---------------

_TABLES = (
    """
    CREATE TABLE {meta} (
        key   TEXT PRIMARY KEY,
        value {bytes} NOT NULL
    ){without_rowid}
    """,
    """
    CREATE TABLE accounts (
        key              TEXT PRIMARY KEY,  -- casefolded name
        name             TEXT NOT NULL,     -- as registered
        password_hash    TEXT NOT NULL,     -- argon2id, PHC string format
        scram_salt       {bytes} NOT NULL,  -- SCRAM-SHA-256 verifier (RFC 5802)
        scram_iterations INTEGER NOT NULL,
        scram_stored_key {bytes} NOT NULL,
        scram_server_key {bytes} NOT NULL,
        email            TEXT,
        created          {int64} NOT NULL   -- ms since the Unix epoch, UTC
    ){without_rowid}
    """,
    """
    CREATE TABLE channels (
        key          TEXT PRIMARY KEY,      -- casefolded name
        name         TEXT NOT NULL,
        founder      TEXT NOT NULL,         -- account name
        registered   {int64} NOT NULL,
        topic        TEXT,
        topic_setter TEXT,
        topic_time   {int64},
        modes        TEXT NOT NULL,         -- parameterless mode letters
        chan_key     TEXT,                  -- +k
        user_limit   INTEGER,               -- +l
        bans         TEXT NOT NULL,         -- JSON [[mask, setter, ms], ...]
        excepts      TEXT NOT NULL,
        invex        TEXT NOT NULL,
        operators    TEXT NOT NULL          -- JSON [casefolded account, ...]
    ){without_rowid}
    """,
    """
    CREATE TABLE server_bans (
        key     TEXT PRIMARY KEY,           -- casefolded mask
        mask    TEXT NOT NULL,
        reason  TEXT NOT NULL,
        setter  TEXT NOT NULL,
        created {int64} NOT NULL,
        expires {int64}                     -- NULL: never
    ){without_rowid}
    """,
)
#: The tables migration 1 creates in PostgreSQL (finding one unversioned: not ours).
OWNED_TABLES = ("account_meta", "accounts", "channels", "server_bans")


def account_ddl(dialect: Dialect) -> tuple[str, ...]:
    """Migration 1's tables, spelled for *dialect*."""
    return tuple(words(table, dialect) for table in _TABLES)


# --- statements ---------------------------------------------------------------------------------

_SECRET_KEY = "fake-scram-key"
_CHANNEL_NAMES = ("key", *CHANNEL_COLUMNS.replace(" ", "").split(","))
_ACCOUNT_NAMES = ("key", *ACCOUNT_COLUMNS.replace(" ", "").split(","))
_BAN_NAMES = ("key", *BAN_COLUMNS.replace(" ", "").split(","))


def _insert(table: str, names: tuple[str, ...], conflict: str) -> str:
    values = ", ".join(f":{name}" for name in names)
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({values}) ON CONFLICT {conflict}"


_PUT_SECRET = statement(
    "INSERT INTO {meta} (key, value) VALUES (:key, :value) ON CONFLICT DO NOTHING"
)
_GET_SECRET = statement("SELECT value FROM {meta} WHERE key = :key")
_LOAD_ACCOUNT = statement(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE key = :key")
_INSERT_ACCOUNT = statement(_insert("accounts", _ACCOUNT_NAMES, "(key) DO NOTHING"))
_UPDATE_SECRETS = statement(
    "UPDATE accounts SET password_hash = :password_hash, scram_salt = :salt,"
    " scram_iterations = :iterations, scram_stored_key = :stored_key,"
    " scram_server_key = :server_key WHERE key = :key"
)
_LOAD_CHANNEL = statement(f"SELECT {CHANNEL_COLUMNS} FROM channels WHERE key = :key")
_LOAD_CHANNELS = statement(f"SELECT {CHANNEL_COLUMNS} FROM channels")
_INSERT_CHANNEL = statement(_insert("channels", _CHANNEL_NAMES, "(key) DO NOTHING"))
_REPLACE_CHANNEL = statement(
    f"UPDATE channels SET {', '.join(f'{n} = :{n}' for n in _CHANNEL_NAMES[1:])} WHERE key = :key"
)
_DELETE_CHANNEL = statement("DELETE FROM channels WHERE key = :key")
_PUT_BAN = statement(
    _insert(
        "server_bans",
        _BAN_NAMES,
        f"(key) DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in _BAN_NAMES[1:])}",
    )
)
_DELETE_BAN = statement("DELETE FROM server_bans WHERE key = :key")
_LOAD_BANS = statement(f"SELECT {BAN_COLUMNS} FROM server_bans")


def secret_key() -> SqlPlan[bytes]:
    """The key of the fake SCRAM credentials, made by the first process to ask."""
    yield from execute(_PUT_SECRET, key=_SECRET_KEY, value=secrets.token_bytes(32))
    row = yield from fetch_one(_GET_SECRET, key=_SECRET_KEY)
    assert row is not None  # just inserted, or there already
    return bytes(row[0])


# --- the store ----------------------------------------------------------------------------------


class SqlAccountStore(AccountStoreBase):
    """The primitives of :class:`AccountStoreBase` over SQL; a backend supplies :meth:`_run`."""

    @abstractmethod
    async def _run(self, plan: SqlPlan[T], *, atomic: bool = False) -> T:
        """Run *plan* to its end (in one transaction if *atomic*); return its result.

        Raises :class:`~chatroom.storage.errors.StorageError` or ``AccountStoreClosed``.
        """

    async def _load_account(self, folded: str) -> StoredAccount | None:
        row = await self._run(fetch_one(_LOAD_ACCOUNT, key=folded))
        return None if row is None else account_from_row(tuple(row))

    async def _insert_account(self, stored: StoredAccount) -> bool:
        values = dict(zip(_ACCOUNT_NAMES, account_row(stored), strict=True))
        return await self._run(execute(_INSERT_ACCOUNT, **values)) == 1

    async def _update_secrets(
        self, folded: str, password_hash: str, scram: ScramCredentials
    ) -> bool:
        plan = execute(
            _UPDATE_SECRETS,
            password_hash=password_hash,
            salt=scram.salt,
            iterations=scram.iterations,
            stored_key=scram.stored_key,
            server_key=scram.server_key,
            key=folded,
        )
        return await self._run(plan) > 0

    async def _load_channel(self, folded: str) -> ChannelRecord | None:
        row = await self._run(fetch_one(_LOAD_CHANNEL, key=folded))
        return None if row is None else channel_from_row(tuple(row))

    async def _insert_channel(self, record: ChannelRecord) -> bool:
        return await self._run(execute(_INSERT_CHANNEL, **channel_row(record))) == 1

    async def _replace_channel(self, record: ChannelRecord) -> bool:
        return await self._run(execute(_REPLACE_CHANNEL, **channel_row(record))) > 0

    async def _delete_channel(self, folded: str) -> bool:
        return await self._run(execute(_DELETE_CHANNEL, key=folded)) > 0

    async def _load_channels(self) -> list[ChannelRecord]:
        rows = await self._run(fetch_all(_LOAD_CHANNELS))
        return [channel_from_row(tuple(row)) for row in rows]

    async def _put_ban(self, ban: BanRecord) -> None:
        values: dict[str, Any] = {
            "key": casefold(ban.mask),
            "mask": ban.mask,
            "reason": ban.reason,
            "setter": ban.setter,
            "created": to_ms(ban.created),
            "expires": ms_or_none(ban.expires),
        }
        await self._run(execute(_PUT_BAN, **values))

    async def _delete_bans(self, folded_masks: list[str]) -> int:
        return await self._run(_delete_bans(folded_masks), atomic=True)

    async def _load_bans(self) -> list[BanRecord]:
        rows = await self._run(fetch_all(_LOAD_BANS))
        return [ban_from_row(tuple(row)) for row in rows]


def _delete_bans(folded_masks: list[str]) -> SqlPlan[int]:
    deleted = 0
    for mask in folded_masks:
        deleted += yield from execute(_DELETE_BAN, key=mask)
    return deleted
