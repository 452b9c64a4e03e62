"""What outlives a restart besides history: registered channels and server bans.

A channel registered by its founder (``CHANSERV REGISTER #room``) remembers its
topic, modes, key, limit, ban/exception/invite lists and its operators (by
account) in the account store; the server restores it at start and saves it
after every change. Server-wide bans (``KLINE``) are kept there too and checked
when a client registers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chatroom.protocol.casemap import casefold
from chatroom.server.channel import FLAG_MODES, ListEntry
from chatroom.storage.accounts import BanRecord, ChannelRecord
from chatroom.storage.accounts import ListEntry as StoredEntry
from chatroom.storage.errors import StorageError

if TYPE_CHECKING:
    from chatroom.server.channel import Channel
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")


def _stored(entries: tuple[ListEntry, ...]) -> tuple[StoredEntry, ...]:
    return tuple(
        StoredEntry(e.mask, e.setter, datetime.fromtimestamp(e.set_at, UTC)) for e in entries
    )


def _live(entries: tuple[StoredEntry, ...]) -> tuple[ListEntry, ...]:
    return tuple(ListEntry(e.mask, e.setter, int(e.time.timestamp())) for e in entries)


def record_of(channel: Channel, founder: str) -> ChannelRecord:
    """The channel's state as the store keeps it."""
    return ChannelRecord(
        name=channel.name,
        founder_account=founder,
        topic=channel.topic or None,
        topic_setter=channel.topic_setter or None,
        topic_time=datetime.fromtimestamp(channel.topic_time, UTC) if channel.topic else None,
        modes="".join(sorted(m for m in channel.modes if m in FLAG_MODES)),
        key=channel.key,
        limit=channel.limit,
        bans=_stored(channel.lists["b"]),
        excepts=_stored(channel.lists["e"]),
        invex=_stored(channel.lists["I"]),
        operators=frozenset(channel.op_accounts),
    )


def apply_record(channel: Channel, record: ChannelRecord) -> None:
    """Give a (new, empty) channel the state of its record."""
    channel.founder = record.founder_account
    channel.permanent = True
    channel.topic = record.topic or ""
    channel.topic_setter = record.topic_setter or ""
    channel.topic_time = int(record.topic_time.timestamp()) if record.topic_time else 0
    channel.modes = set(record.modes)
    channel.key = record.key
    channel.limit = record.limit
    channel.lists = {"b": _live(record.bans), "e": _live(record.excepts), "I": _live(record.invex)}
    channel.op_accounts = set(record.operators) | {casefold(record.founder_account)}


def save_channel(server: Server, channel: Channel) -> None:
    """Save a registered channel's state (in the background; failures are logged)."""
    store = server.accounts
    if store is None or channel.founder is None:
        return
    record = record_of(channel, channel.founder)

    async def save() -> None:
        try:
            await store.update_channel(record)
        except StorageError as exc:
            log.error("Could not save the registered channel %s: %s", channel.name, exc)

    server.spawn(save())


def is_channel_operator_account(channel: Channel, session: Session) -> bool:
    """True if the session's account is one the registered channel makes operator."""
    return session.account is not None and casefold(session.account) in channel.op_accounts


async def restore(server: Server) -> None:
    """Load registered channels and server bans at start."""
    store = server.accounts
    if store is None:
        return
    for record in await store.list_channels():
        apply_record(server.get_or_create_channel(record.name), record)
    server.registry.set_bans(await store.list_bans())
    registered = sum(1 for c in server.channels.values() if c.founder)
    if server.registry.bans or registered:
        log.info(
            "Restored %d registered channel(s) and %d server ban(s)",
            registered,
            len(server.registry.bans),
        )


def ban_for(server: Server, session: Session) -> BanRecord | None:
    """The server ban matching this client (by mask or by address), if any."""
    now = datetime.now(UTC)
    return next(
        (ban for ban in server.registry.bans if not ban.expired(now) and session.matches(ban.mask)),
        None,
    )


def without_expired(bans: Iterable[BanRecord]) -> list[BanRecord]:
    now = datetime.now(UTC)
    return [b for b in bans if not b.expired(now)]
