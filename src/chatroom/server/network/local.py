"""The network of a process alone: nobody else to tell, nothing to wait for."""

from __future__ import annotations

from collections.abc import Sized
from typing import TYPE_CHECKING

from chatroom.server.network.view import RemoteView

if TYPE_CHECKING:
    from chatroom.server.network import Existing
    from chatroom.server.network.events import Event
    from chatroom.server.network.state import ChannelState


class LocalNetwork:
    """Implements :class:`~chatroom.server.network.Network` for a process without
    ``--cluster``: the view stays empty, events go nowhere, every claim is won.

    ``name`` is the server's name and ``users`` its registered users (read for
    ``STATS N``)."""

    is_local = True

    def __init__(self, name: str, users: Sized) -> None:
        self._name = name
        self._users = users
        self._view = RemoteView()

    @property
    def view(self) -> RemoteView:
        return self._view

    def publish(self, event: Event) -> None:
        pass

    async def claim_nick(self, folded: str) -> bool:
        return True

    async def create_channel(self, channel: str, nick: str, state: ChannelState) -> Existing | None:
        return None

    def release_nick(self, folded: str) -> None:
        pass

    def status(self) -> list[tuple[str, int]]:
        return [(f"{self._name} (alone)", len(self._users))]
