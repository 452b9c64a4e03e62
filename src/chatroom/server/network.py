"""The seam between the chat core and the other processes of a network.

The core never talks to Redis: with ``--cluster`` the server gets a :class:`Network`
(the Redis bridge, :mod:`chatroom.cluster.bridge`) and calls it where it fans out;
without it ``Server.network`` is None and nothing here is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chatroom.cluster.events import Event
    from chatroom.cluster.view import RemoteView


class Network(Protocol):
    """What the core needs from the rest of the network."""

    @property
    def view(self) -> RemoteView:
        """The users of the other processes, and their channels (read-only for the core)."""
        ...

    def publish(self, event: Event) -> None:
        """Send ``event`` to the other processes. Never blocks; events leave in the
        order they were published. If the network is unreachable the event is dropped
        (and logged): local chat goes on."""
        ...

    async def claim_nick(self, folded: str) -> bool:
        """Own ``folded`` network-wide; False if another process owns it. Atomic: of
        two processes claiming one nick at once, exactly one wins."""
        ...

    async def create_channel(self, channel: str, nick: str, state: str) -> str | None:
        """Create ``channel`` (folded) network-wide with ``state``, local user ``nick``
        (folded) its first member and operator, if nobody is in it on any process.
        Atomic: of two processes creating one channel at once, exactly one wins.
        None if this process created it (or the network is unreachable: availability
        first); else the state of the channel that exists ("" if none is stored)."""
        ...

    def release_nick(self, folded: str) -> None:
        """Give up a nick this process owns (no error if it does not)."""
        ...

    def status(self) -> list[tuple[str, int]]:
        """``(process id, registered users)`` for every process of the network known
        to be alive, this process first (for ``STATS N`` and the log)."""
        ...
