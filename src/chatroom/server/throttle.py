"""Login throttling: per-key failure counting with exponential back-off, pure and clock-free.

The server keeps two :class:`Throttle` tables, one keyed by client address and one by
casefolded account name, so that guessing passwords is slow whether the guesser tries many
accounts from one address or one account from many addresses (issue 6, "password
guessing"). Before checking a password (PLAIN, SCRAM, REGISTER's siblings, OPER)::

    wait = max(by_address.wait_time(addr, now), by_account.wait_time(name, now))
    if wait > 0: refuse at once (904 / FAIL ... with "try again in N s"), no hashing
    by_address.failed(addr, now); by_account.failed(name, now)   # count it *now*
    ... check the password (off the loop) ...
    on success: by_address.succeeded(addr); by_account.succeeded(name)

Counting the attempt before the check, not after it, matters as much: checks run
concurrently, so a failure recorded when its check ends would let every parallel
connection through before the first one counts (``Auth.begin`` does both steps).

Refusing *before* hashing matters: the argon2 work is what a guesser would otherwise make
us spend. Check the account table for unknown names as well as known ones, or the refusal
pattern would reveal which names exist.

The rule: once a key has ``threshold`` failures, each failure makes its next attempt wait
``base_delay * 2**(n - threshold)`` seconds after it (n = failures so far), capped at
``max_delay``. With the defaults: after 3 failures the next attempt waits 1 s, then 2 s,
4 s … up to 5 minutes. A key's count is forgotten on success, and after ``window`` quiet
seconds once its delay has run out (so waiting out a delay does not buy fresh free tries).

Memory is bounded: at most ``max_keys`` keys are tracked. Forgotten keys are dropped as new
failures arrive; when the table is still full, the key whose last failure is oldest goes.
(Someone able to fail with ``max_keys`` distinct keys faster than the window could so push
out a key early; each failure costs them a password check and feeds the other table, and
the default cap is far above what one address can reach under its own back-off.)

``now`` is any monotonic clock in seconds (``loop.time()``); it must not go backwards.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["Throttle"]


@dataclass(slots=True)
class _Entry:
    failures: int
    last: float  # time of the last failure
    delay: float  # seconds the next attempt must wait after ``last``


class Throttle:
    """Failure counts with exponential back-off for one kind of key (see the module docstring)."""

    __slots__ = ("_entries", "base_delay", "max_delay", "max_keys", "threshold", "window")

    def __init__(
        self,
        *,
        threshold: int = 3,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        window: float = 600.0,
        max_keys: int = 100_000,
    ) -> None:
        if threshold < 1 or base_delay <= 0 or max_delay < base_delay:
            raise ValueError("need threshold >= 1 and 0 < base_delay <= max_delay")
        if window <= 0 or max_keys < 1:
            raise ValueError("need window > 0 and max_keys >= 1")
        self.threshold = threshold
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.window = window
        self.max_keys = max_keys
        # Ordered by last failure, oldest first: ``failed`` moves its key to the end.
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        """How many keys are tracked now (forgotten ones may linger until the next failure)."""
        return len(self._entries)

    def _delay(self, failures: int) -> float:
        over = failures - self.threshold
        if over < 0:
            return 0.0
        # The exponent is capped so that 2**over cannot overflow after very many failures.
        return min(self.max_delay, self.base_delay * 2.0 ** min(over, 64))

    def _expired(self, entry: _Entry, now: float) -> bool:
        return now - entry.last >= entry.delay + self.window

    def wait_time(self, key: str, now: float) -> float:
        """Seconds before *key* may try again: 0.0 means now."""
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        return max(0.0, entry.last + entry.delay - now)

    def failures(self, key: str, now: float) -> int:
        """Failures counted against *key* (0 once forgotten): for logs and tests."""
        entry = self._entries.get(key)
        return 0 if entry is None or self._expired(entry, now) else entry.failures

    def failed(self, key: str, now: float) -> float:
        """Count a failed attempt by *key*; return the seconds it must now wait."""
        self._forget_expired(now)
        entry = self._entries.get(key)
        if entry is None or self._expired(entry, now):
            entry = _Entry(0, now, 0.0)
        entry.failures += 1
        entry.last = now
        entry.delay = self._delay(entry.failures)
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_keys:
            self._entries.popitem(last=False)
        return entry.delay

    def succeeded(self, key: str) -> None:
        """Forget *key*'s failures: it logged in."""
        self._entries.pop(key, None)

    def _forget_expired(self, now: float) -> None:
        # Entries are ordered by last failure, so the expired ones are (nearly all) at the
        # front; stopping at the first live one keeps this O(1) amortised. One with a long
        # delay may hold a few expired ones behind it a little longer: harmless.
        entries = self._entries
        while entries:
            key, entry = next(iter(entries.items()))
            if not self._expired(entry, now):
                break
            del entries[key]
