"""The seam between the chat core and the other processes of a network.

The core never talks to Redis. It sees a :class:`Network` (``Server.network``,
never None) and calls it wherever something must reach the other processes: it
publishes :mod:`~chatroom.server.network.events`, claims nicks and channels, and
reads the users of the other processes in the
:class:`~chatroom.server.network.view.RemoteView`. A process alone has a
:class:`~chatroom.server.network.local.LocalNetwork` (an empty view; publishing
does nothing; every claim is won); with ``--cluster`` it has the Redis bridge
(:mod:`chatroom.cluster.bridge`), which also gives events and channel states
their wire form. Nothing in this package imports the rest of the core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chatroom.server.network.events import Event
    from chatroom.server.network.state import ChannelState
    from chatroom.server.network.view import RemoteView


@dataclass(frozen=True)
class Existing:
    """What :meth:`Network.create_channel` answers when another process was first:
    the channel's ``state`` as the network holds it, or None if none is stored or
    it was unreadable (the joiner then gets no mirror made from it)."""

    state: ChannelState | None


class Network(Protocol):
    """What the core needs from the rest of the network."""

    @property
    def is_local(self) -> bool:
        """True when this process is the whole network: every claim is won at
        once, so the core takes nicks and creates channels without awaiting the
        network (an await would send the reply a loop turn later, and hold the
        session's next lines meanwhile)."""
        ...

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

    async def create_channel(self, channel: str, nick: str, state: ChannelState) -> Existing | None:
        """Create ``channel`` (folded) network-wide with ``state``, local user ``nick``
        (folded) its first member and operator, if nobody is in it on any process.
        Atomic: of two processes creating one channel at once, exactly one wins.
        None if this process created it (or the network is unreachable: availability
        first); else :class:`Existing`, with the state of the channel that exists."""
        ...

    def release_nick(self, folded: str) -> None:
        """Give up a nick this process owns (no error if it does not)."""
        ...

    def status(self) -> list[tuple[str, int]]:
        """``(process id, registered users)`` for every process of the network known
        to be alive, this process first (for ``STATS N`` and the log)."""
        ...
