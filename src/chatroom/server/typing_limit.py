"""The server's rate limit on typing notifications, pure and clock-free.

https://ircv3.net/specs/client-tags/typing: "any ``typing`` notification is not
sent within 3 seconds of another one for a given target"; a server may drop
what breaks that. Per sender and target, this lets through:

- any of ``active``, ``paused`` and ``done`` at least :data:`MIN_INTERVAL` after
  the last one let through (the spec's 3 s, less half a second so that a client
  keeping to it is not cut by network jitter: a receiver shows ``active`` for
  6 s, and one dropped would make the indicator flicker);
- sooner than that, only a ``done`` after something else, so that a cleared
  input line stops the indicator at once (at most two notifications per
  interval, whatever the sender does);
- never a value the spec does not define.

What is dropped is dropped silently, as the spec suggests: no error to a client
whose timer fired a little early. The caller passes the current time in.
"""

from __future__ import annotations

TYPING_TAG = "+typing"
STATES = frozenset({"active", "paused", "done"})
MIN_INTERVAL = 2.5
"""Seconds between two typing notifications to one target (the spec's 3, less jitter)."""
MAX_TARGETS = 64
"""Targets remembered per sender; beyond it the stale ones are forgotten."""


class TypingLimiter:
    """One sender's last typing notification let through, per target (folded):
    its state and when."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[str, tuple[str, float]] = {}

    def allow(self, target: str, state: str, now: float) -> bool:
        """Whether a ``+typing=state`` notification to ``target`` (casefolded) may
        be relayed at ``now``; if so, it is remembered as the last one."""
        if state not in STATES:
            return False
        last = self._last.get(target)
        if last is not None:
            last_state, stamp = last
            soon = now - stamp < MIN_INTERVAL
            if soon and (state != "done" or last_state == "done"):
                return False
        elif len(self._last) >= MAX_TARGETS:
            self._forget(now)
        self._last[target] = (state, now)
        return True

    def _forget(self, now: float) -> None:
        """Drop the entries older than the interval (they limit nothing), then, if
        still full, the oldest (forgetting one lets at most one more through)."""
        for key in [k for k, (_, t) in self._last.items() if now - t >= MIN_INTERVAL]:
            del self._last[key]
        while len(self._last) >= MAX_TARGETS:
            del self._last[next(iter(self._last))]
