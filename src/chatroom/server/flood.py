"""Flood control: a token bucket ("fakelag"), pure and clock-free.

A client may send ``burst`` lines at once; after that, lines are processed at
``rate`` per second. Lines beyond the bucket are not dropped: the session stops
reading until a token is free, so a flooder only slows itself down, and TCP
back-pressure does the rest. The caller passes the current time in.
"""

from __future__ import annotations


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` tokens per second."""

    __slots__ = ("_stamp", "_tokens", "burst", "rate")

    def __init__(self, burst: int, rate: float, now: float) -> None:
        self.burst = float(burst)
        self.rate = rate
        self._tokens = float(burst)
        self._stamp = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one; return whether it was spent."""
        tokens = self._tokens + (now - self._stamp) * self.rate
        if tokens > self.burst:
            tokens = self.burst
        self._stamp = now
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return True
        self._tokens = tokens
        return False

    def charge(self, now: float, cost: float) -> None:
        """Spend ``cost`` tokens for work already done (a large reply). The bucket may
        go below zero, down to ``-burst``: the client's next lines wait until it
        refills, so one costly command delays them by at most ``2 * burst / rate``."""
        tokens = min(self._tokens + (now - self._stamp) * self.rate, self.burst)
        self._stamp = now
        self._tokens = max(tokens - cost, -self.burst)

    def wait(self) -> float:
        """Seconds until the next token, as of the last :meth:`take`."""
        return max(0.0, (1.0 - self._tokens) / self.rate)
