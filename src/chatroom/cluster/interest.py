"""Which channels' messages this process hears: interest-based routing.

A channel message (:class:`~chatroom.server.network.events.ChannelMessage`) is
published to the pub/sub channel of its chat channel
(:func:`~.keys.channel_events_key`), not to the network-wide one, and a process
subscribes to that channel only while it has local members there: a process hears
the messages of its own users' channels only. With Redis 7 the channel is a
*shard* channel (``SPUBLISH``/``SSUBSCRIBE``, which Redis Cluster routes to one
shard); an older Redis gets plain ``PUBLISH``/``SUBSCRIBE``, decided once at start.

**The subscribe gap.** Between a user's JOIN (the first local member) and the
moment Redis has the subscription, messages published by other processes are
not heard. They are not lost: a message is stored in the shared history before
it is published, so once Redis confirms the subscription (the reader sees the
``ssubscribe``/``subscribe`` reply) every message published before was stored
before, and the bridge reads the channel's messages from the time of the JOIN
on from history and delivers those not delivered live (the msgids in
:class:`~.catchup.Delivered` keep anything from being shown twice). Without
history the gap is not closed (logged).

Pure bookkeeping, no I/O: :class:`Interest` says what to subscribe and
unsubscribe; the bridge does it.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime


class Interest:
    """The per-channel subscriptions of this process, and the JOINs whose gap is
    still open (subscription asked for, not confirmed yet)."""

    def __init__(self, sharded: bool) -> None:
        self.sharded = sharded
        """Shard channels (``SSUBSCRIBE``) rather than plain ones."""
        self._following: set[str] = set()  # folded channels subscribed (or asked)
        self._pending: dict[str, datetime] = {}  # folded channel -> first local JOIN

    @property
    def following(self) -> frozenset[str]:
        return frozenset(self._following)

    def joined(self, channel: str, at: datetime) -> None:
        """A local user joined ``channel`` at ``at``: if this process does not
        follow it yet, what is published from ``at`` until the subscription is
        confirmed must be caught up from history."""
        if channel not in self._following:
            self._pending.setdefault(channel, at)

    def changes(self, wanted: Set[str]) -> tuple[list[str], list[str]]:
        """``(subscribe, unsubscribe)``: what to change so that this process follows
        exactly ``wanted`` (the channels with local members); recorded as done."""
        add = sorted(wanted - self._following)
        drop = sorted(self._following - wanted)
        self._following = set(wanted)
        for channel in drop:
            self._pending.pop(channel, None)
        return add, drop

    def failed(self, channels: list[str]) -> None:
        """Subscribing to ``channels`` failed: asked again on the next change."""
        self._following.difference_update(channels)

    def confirmed(self, channel: str) -> datetime | None:
        """Redis confirmed the subscription to ``channel``: the time from which to
        catch up from history, or None if there is no gap to close (a
        re-subscription after a reconnection is caught up as a whole)."""
        if channel not in self._following:
            return None
        return self._pending.pop(channel, None)
