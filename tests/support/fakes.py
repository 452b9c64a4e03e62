"""Fakes shared by unit tests of the core."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from chatroom.server.network.view import RemoteView

if TYPE_CHECKING:
    from chatroom.server.network import Existing
    from chatroom.server.network.events import Event
    from chatroom.server.network.state import ChannelState


class FakeTransport:
    """Records writes; satisfies the core's Transport protocol."""

    def __init__(self) -> None:
        self.data = b""
        self.closed = False
        self.paused = False

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def get_write_buffer_size(self) -> int:
        return 0


class FakeNetwork:
    """Stands for the other processes of a network (``server.network``): records
    what the core publishes; the view is filled by the events a test applies."""

    is_local = False  # claims are awaited, as with Redis

    def __init__(self) -> None:
        self.view = RemoteView()
        self.published: list[Event] = []
        self.created: list[str] = []  # channels create_channel was asked for
        self.winner: Existing | None = None  # what it answers: None, this process won

    def publish(self, event: Event) -> None:
        self.published.append(event)

    async def claim_nick(self, folded: str) -> bool:
        return True

    async def create_channel(self, channel: str, nick: str, state: ChannelState) -> Existing | None:
        self.created.append(channel)
        return self.winner

    def release_nick(self, folded: str) -> None:
        pass

    def status(self) -> list[tuple[str, int]]:
        return [("p1", 0)]


async def settle() -> None:
    """Let deferred replies (a JOIN waiting for the network, say) finish."""
    for _ in range(10):
        await asyncio.sleep(0)
