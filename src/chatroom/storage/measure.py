"""How fast a history store makes messages durable: for the benchmark and for tests."""

from __future__ import annotations

import asyncio
import time

from .base import HistoryStore, MessageKind, StoredMessage, new_msgid, utc_now
from .errors import StorageUnavailableError

__all__ = ["measure_throughput"]

#: Appends made between two yields to the event loop, as a busy server would in one tick.
APPENDS_PER_TICK = 256


async def measure_throughput(store: HistoryStore, n: int, *, target: str = "#bench") -> float:
    """Append *n* messages to *store*, wait until all are durable, return messages/second.

    The messages (about 60 bytes of text each, in one channel, a tenth with a client tag) are
    built before the clock starts, so the figure is the store's alone: ``append`` calls made
    ``APPENDS_PER_TICK`` per loop iteration, then ``flush``. The messages stay in the store.
    Raises ``StorageUnavailableError`` if any message was not stored, ``ValueError`` if
    ``n < 1``.
    """
    if n < 1:
        raise ValueError(f"measure at least one message, not {n}")
    now = utc_now()
    messages = [
        StoredMessage(
            msgid=new_msgid(),
            time=now,
            target=target,
            kind=MessageKind.PRIVMSG,
            source=f"bench{i % 50}!bench@127.0.0.1",
            target_param=target,
            text=f"benchmark message number {i:>10} with some padding text.",
            tags={"+draft/reply": "abc"} if i % 10 == 0 else {},
        )
        for i in range(n)
    ]
    failed = 0

    def on_stored(ok: bool) -> None:
        nonlocal failed
        failed += not ok

    started = time.perf_counter()
    for i, message in enumerate(messages, 1):
        store.append(message, on_stored)
        if i % APPENDS_PER_TICK == 0:
            await asyncio.sleep(0)
    await store.flush()
    elapsed = time.perf_counter() - started
    if failed:
        raise StorageUnavailableError(f"{failed} of {n} messages were not stored.")
    return n / elapsed
