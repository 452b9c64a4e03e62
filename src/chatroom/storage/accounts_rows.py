"""Rows of the account tables, as both SQL backends (SQLite, PostgreSQL) read and write them.

The column layout is the same in both: times as integer milliseconds since the Unix epoch
(UTC), SCRAM verifiers as bytes, a channel's list modes and operators as JSON text (a record
is always read and written whole). Keeping the conversions here means the two backends
cannot disagree about a record.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chatroom.protocol.sasl import ScramCredentials

from .accounts import Account, BanRecord, ChannelRecord, ListEntry, StoredAccount
from .base import from_ms, to_ms

__all__ = [
    "ACCOUNT_COLUMNS",
    "BAN_COLUMNS",
    "CHANNEL_COLUMNS",
    "account_from_row",
    "account_row",
    "ban_from_row",
    "channel_from_row",
    "channel_row",
    "entries_from_json",
    "entries_json",
    "ms_or_none",
    "when_or_none",
]

ACCOUNT_COLUMNS = (
    "name, password_hash, scram_salt, scram_iterations, scram_stored_key, scram_server_key,"
    " email, created"
)
CHANNEL_COLUMNS = (
    "name, founder, registered, topic, topic_setter, topic_time, modes, chan_key, user_limit,"
    " bans, excepts, invex, operators"
)
BAN_COLUMNS = "mask, reason, setter, created, expires"


def ms_or_none(when: datetime | None) -> int | None:
    return None if when is None else to_ms(when)


def when_or_none(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


def account_from_row(row: tuple[Any, ...]) -> StoredAccount:
    name, password_hash, salt, iterations, stored_key, server_key, email, created = row
    return StoredAccount(
        Account(name=name, created=from_ms(created), email=email),
        password_hash,
        ScramCredentials(bytes(salt), int(iterations), bytes(stored_key), bytes(server_key)),
    )


def entries_json(entries: tuple[ListEntry, ...]) -> str:
    return json.dumps([[e.mask, e.setter, to_ms(e.time)] for e in entries])


def entries_from_json(text: str) -> tuple[ListEntry, ...]:
    return tuple(ListEntry(mask, setter, from_ms(ms)) for mask, setter, ms in json.loads(text))


def channel_row(record: ChannelRecord) -> dict[str, Any]:
    assert record.registered is not None  # the base class fills it in
    return {
        "key": record.folded,
        "name": record.name,
        "founder": record.founder_account,
        "registered": to_ms(record.registered),
        "topic": record.topic,
        "topic_setter": record.topic_setter,
        "topic_time": ms_or_none(record.topic_time),
        "modes": record.modes,
        "chan_key": record.key,
        "user_limit": record.limit,
        "bans": entries_json(record.bans),
        "excepts": entries_json(record.excepts),
        "invex": entries_json(record.invex),
        "operators": json.dumps(sorted(record.operators)),
    }


def channel_from_row(row: tuple[Any, ...]) -> ChannelRecord:
    (name, founder, registered, topic, setter, topic_time, modes, key, limit) = row[:9]
    bans, excepts, invex, operators = row[9:]
    return ChannelRecord(
        name=name,
        founder_account=founder,
        topic=topic,
        topic_setter=setter,
        topic_time=when_or_none(topic_time),
        modes=modes,
        key=key,
        limit=limit,
        bans=entries_from_json(bans),
        excepts=entries_from_json(excepts),
        invex=entries_from_json(invex),
        operators=frozenset(json.loads(operators)),
        registered=from_ms(registered),
    )


def ban_from_row(row: tuple[Any, ...]) -> BanRecord:
    mask, reason, setter, created, expires = row
    return BanRecord(mask, reason, setter, from_ms(created), when_or_none(expires))


def account_row(stored: StoredAccount) -> tuple[Any, ...]:
    """The values of ``key, ACCOUNT_COLUMNS`` for *stored*, in that order."""
    account, scram = stored.account, stored.scram
    return (
        account.folded,
        account.name,
        stored.password_hash,
        scram.salt,
        scram.iterations,
        scram.stored_key,
        scram.server_key,
        account.email,
        to_ms(account.created),
    )
