"""Messages nobody else can hear: not published, kept a moment in case someone joins.

A chat message goes through Redis only to reach the other processes with members
in its channel (:mod:`.interest`). When no other process has a member there (the
:class:`~chatroom.server.network.view.RemoteView` lists none), the message is not
published at all: a room whose members are all on one process costs Redis and the
other processes nothing, and its own process does not read its messages back.

The race this opens: a user of another process joins at that moment. Its process
subscribes to the channel before it publishes the JOIN, but this process learns of
the new member only when that JOIN arrives, and keeps not publishing until then.
So the messages not published are kept here, :data:`HOLD` seconds (at most
:data:`PER_CHANNEL` per channel), and when another process's JOIN arrives, those
sent since the JOIN's time are published after all (the joiner's process shows
each message once: msgids). Clocks must agree (NTP), as for catch-up.

Pure bookkeeping, no I/O: the bridge keeps and takes.
"""

from __future__ import annotations

from collections import deque

from chatroom.server.network.events import ChannelMessage

HOLD = 5_000
"""Milliseconds a message not published is kept: far longer than a JOIN takes to
cross Redis, unless this process's loop is seconds behind."""
PER_CHANNEL = 1_000
"""At most this many kept per channel (the newest)."""
PRUNE_EVERY = 1_000
"""Forget what expired in every channel once per this many messages kept."""


class Unheard:
    """The recent messages of channels no other process was in, by channel."""

    def __init__(self) -> None:
        self._kept: dict[str, deque[tuple[int, ChannelMessage]]] = {}
        self._since_prune = 0

    def keep(self, now_ms: int, message: ChannelMessage) -> None:
        """Keep ``message`` (of ``message.channel``), not published at ``now_ms``."""
        kept = self._kept.get(message.channel)
        if kept is None:
            kept = self._kept[message.channel] = deque(maxlen=PER_CHANNEL)
        kept.append((now_ms, message))
        self._since_prune += 1
        if self._since_prune >= PRUNE_EVERY:
            self._since_prune = 0
            self.prune(now_ms)

    def take(self, channel: str, since_ms: int) -> list[ChannelMessage]:
        """Another process's user joined ``channel`` at ``since_ms``: the messages not
        published since, oldest first, now to publish (and forgotten here)."""
        kept = self._kept.pop(channel, None)
        return [] if kept is None else [m for at, m in kept if at >= since_ms]

    def prune(self, now_ms: int) -> None:
        """Forget every message kept more than :data:`HOLD` before ``now_ms``."""
        for channel in list(self._kept):
            kept = self._kept[channel]
            while kept and kept[0][0] < now_ms - HOLD:
                kept.popleft()
            if not kept:
                del self._kept[channel]

    def __len__(self) -> int:
        return sum(len(kept) for kept in self._kept.values())
