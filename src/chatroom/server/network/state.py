"""A channel's shared state as one value: what crosses the network.

Every process of a network holds a channel of the network (its members there, or a
*mirror* with none) and shares its state: modes, key, limit, the ban, exception and
invite-exception lists, the topic with setter and time, the creation time, and for
a registered room its founder and operator accounts. Members are not part of it:
each process knows its own, and the view (:mod:`.view`) the others'.

:class:`ChannelState` is that state frozen at one moment; the core makes it and
turns it back into a channel (:mod:`chatroom.server.mirror`); the Redis layer
gives it a wire form. Pure data: no I/O, nothing of the rest of the core.
"""

from __future__ import annotations

from dataclasses import dataclass

Entry = tuple[str, str, int]
"""One entry of a mask list: ``(mask, setter, set at)`` (a Unix time)."""


@dataclass(frozen=True)
class ChannelState:
    """A channel's state shared by every process (not its members).

    ``modes`` are its flag modes, sorted (``"nt"``); ``lists`` holds one
    ``(mode, entries)`` pair per list mode (``b``, ``e``, ``I``), in that order;
    ``op_accounts`` are casefolded, sorted. Hashable and compared by value."""

    name: str
    created: int
    modes: str = "nt"
    key: str | None = None
    limit: int | None = None
    topic: str = ""
    topic_setter: str = ""
    topic_time: int = 0
    founder: str | None = None
    op_accounts: tuple[str, ...] = ()
    permanent: bool = False
    lists: tuple[tuple[str, tuple[Entry, ...]], ...] = ()
