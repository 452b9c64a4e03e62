"""Helpers for testing the client core against real servers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from chatroom.client.config import ClientConfig
from chatroom.client.core import ChatClient
from chatroom.client.events import Event, ExitReason
from support.timeouts import TIMEOUT

E = TypeVar("E", bound=Event)


async def until(condition: Callable[[], object], timeout: float = TIMEOUT, what: str = "") -> None:
    """Wait until ``condition()`` is true (checked every few ms), or fail."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.01)


class Running:
    """A ChatClient running as a task, with every event it emitted."""

    def __init__(self, port: int, nick: str | None = "alice", **options: object) -> None:
        options.setdefault("reconnect_delays", (0.1, 0.2, 0.4))
        config = ClientConfig("127.0.0.1", port, nick=nick, **options)  # type: ignore[arg-type]
        self.client = ChatClient(config)
        self.events: list[Event] = []
        self.client.subscribe(self.events.append)
        self.task: asyncio.Task[ExitReason] = asyncio.get_running_loop().create_task(
            self.client.run()
        )

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    async def event(self, kind: type[E], where: Callable[[E], bool] = lambda e: True) -> E:
        """The first event of ``kind`` matching ``where``, waiting for it."""
        await until(lambda: any(where(e) for e in self.of(kind)), what=kind.__name__)
        return next(e for e in self.of(kind) if where(e))

    async def ready(self) -> Running:
        await until(self.client.ready.is_set, what="ready")
        return self

    async def stop(self) -> ExitReason:
        self.client.quit()
        return await asyncio.wait_for(self.task, TIMEOUT)
