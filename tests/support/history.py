"""Helpers shared by the storage tests: messages at fixed times, stored and waited for
(fixtures live in tests/storage/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chatroom.storage import HistoryStore, MessageKind, StoredMessage, new_msgid
from chatroom.storage.base import EVENT_PARAM_SEPARATOR

#: A fixed point in time the tests build their conversations around (the spec's examples).
T0 = datetime(2019, 1, 4, 14, 33, 26, 123000, tzinfo=UTC)


def at(ms: int) -> datetime:
    """The time *ms* milliseconds after :data:`T0`."""
    return T0 + timedelta(milliseconds=ms)


def msg(target: str = "#chan", ms: int = 0, text: str = "hello", **fields: Any) -> StoredMessage:
    """A PRIVMSG to *target* sent *ms* milliseconds after :data:`T0`, with a fresh msgid."""
    values: dict[str, Any] = {
        "msgid": new_msgid(),
        "time": at(ms),
        "target": target,
        "kind": MessageKind.PRIVMSG,
        "source": "nick!user@host",
        "target_param": target,
        "text": text,
    }
    values.update(fields)
    return StoredMessage(**values)


async def store_all(store: HistoryStore, messages: list[StoredMessage]) -> list[bool]:
    """Append *messages*, wait until durable, return each ``on_stored`` result in order."""
    results: list[bool] = []
    for message in messages:
        store.append(message, results.append)
    await store.flush()
    assert len(results) == len(messages)
    return results


def ids(messages: list[StoredMessage]) -> list[str]:
    """The msgids of *messages*, to compare results readably."""
    return [m.msgid for m in messages]


def event(
    kind: MessageKind, params: tuple[str, ...], target: str = "#chan", ms: int = 0
) -> StoredMessage:
    """A channel event (JOIN, KICK …) filed under *target*, *ms* milliseconds after T0."""
    return msg(target, ms, EVENT_PARAM_SEPARATOR.join(params), kind=kind, source="op!user@host")
