"""The bridge's outgoing events, waiting for its writer task.

:class:`asyncio.Queue` would do, but each ``get`` that has to wait asks asyncio
for the running loop, and on Python 3.11 that is a system call (a process-id
check): once per message at chat pace. A :class:`Mailbox` holds the loop it was
made in, and hands the writer everything queued at once (the writer sends a loop
turn's events as one batch anyway).
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    """Items for one consumer, taken all at once, counted until they are done."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: list[T] = []
        self._waiter: asyncio.Future[None] | None = None  # the consumer, waiting
        self._unfinished = 0  # put, and not yet reported done
        self._drained: list[asyncio.Future[None]] = []  # join()s waiting

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        self._unfinished += 1
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def take(self) -> list[T]:
        """Everything put so far, in order (waits for at least one item). One taker
        at a time: the writer task."""
        assert self._waiter is None, "a Mailbox has one taker"
        while not self._items:
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items, self._items = self._items, []
        return items

    def done(self, count: int) -> None:
        """``count`` taken items are dealt with (sent, or given up on)."""
        self._unfinished -= count
        if self._unfinished <= 0:
            self._unfinished = 0
            for future in self._drained:
                if not future.done():
                    future.set_result(None)
            self._drained.clear()

    async def join(self) -> None:
        """Return once every item put so far is done."""
        if self._unfinished:
            future = self._loop.create_future()
            self._drained.append(future)
            await future
