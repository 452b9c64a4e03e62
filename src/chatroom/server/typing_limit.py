"""The server's rate limit on typing notifications, pure and clock-free.

https://ircv3.net/specs/client-tags/typing: a client sends ``+typing=active`` at
most once every 3 seconds while its user types, and ``paused`` or ``done`` when
that changes; a server may drop notifications beyond that. Per sender and
target, this lets through:

- ``active`` when the last ``active`` let through is at least
  :data:`ACTIVE_INTERVAL` old, whatever came between (a receiver keeps showing
  it for 6 s, so one active every 3 s keeps the indicator on without gaps);
- ``paused`` and ``done`` only when they change the state (a repeat tells
  nobody anything, and alternating states are bounded by the active rule);
- nothing else: a value the spec does not define is dropped.

What is dropped is dropped silently, as the spec suggests (no error to a client
whose timer fired a little early). The caller passes the current time in.
"""

from __future__ import annotations

TYPING_TAG = "+typing"
STATES = frozenset({"active", "paused", "done"})
ACTIVE_INTERVAL = 3.0
"""Seconds between two ``active`` notifications to one target (the spec's rate)."""
MAX_TARGETS = 64
"""Targets remembered per sender; beyond it the stale ones are forgotten."""


class TypingLimiter:
    """Per target (folded): one sender's last typing state let through, and when
    its last ``active`` was."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[str, tuple[str, float]] = {}

    def allow(self, target: str, state: str, now: float) -> bool:
        """Whether a ``+typing=state`` notification to ``target`` (casefolded) may
        be relayed at ``now``; if so, it is remembered as the last one."""
        if state not in STATES:
            return False
        last = self._last.get(target)
        active_at = -ACTIVE_INTERVAL
        if last is not None:
            last_state, active_at = last
            if state == "active":
                if now - active_at < ACTIVE_INTERVAL:
                    return False
            elif state == last_state:
                return False
        if last is None and len(self._last) >= MAX_TARGETS:
            self._forget(now)
        self._last[target] = (state, now if state == "active" else active_at)
        return True

    def _forget(self, now: float) -> None:
        """Drop the entries whose active is older than the interval, then, if still
        full, the oldest (forgetting one only lets one more paused or done through)."""
        for key in [k for k, (_, t) in self._last.items() if now - t >= ACTIVE_INTERVAL]:
            del self._last[key]
        while len(self._last) >= MAX_TARGETS:
            del self._last[next(iter(self._last))]
