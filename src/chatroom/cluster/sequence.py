"""Per-process sequence numbers: a retried write shows nothing twice.

Every event a process publishes carries ``(origin process, sequence number)``
(:mod:`.events`). A write can reach Redis twice: redis-py sends a pipeline again
on a fresh connection when the old one broke after Redis ran it, and the writer
replays the departures of a batch that failed (:mod:`.writer`), part of which
may have gone through. Messages were always shown once (their msgid); with the
number, a KICK, MODE, TOPIC or INVITE is too: a receiver drops a number it has
seen from that origin.

Numbers are given when an event is queued, not when it is written, so every
attempt at one event carries the same one (:class:`Numbering`). An origin's
numbers need not arrive in order (its events travel on several pub/sub channels,
on several nodes of a Redis Cluster), so a receiver remembers the last
:data:`WINDOW` of them per origin (:class:`Seen`), not just the highest.

Pure bookkeeping, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

WINDOW = 65_536
"""Numbers remembered per origin: far more than one process publishes while a
write is retried (under a second)."""


class Numbering:
    """The sender's side: one number per queued event, the same on every attempt.

    Keyed by the event object's identity (two equal events, a TOPIC set twice,
    are two events), holding the object so that its identity is not reused
    while it is numbered; :meth:`done` forgets events written or given up."""

    def __init__(self) -> None:
        self._next = 0
        self._numbers: dict[int, tuple[object, int]] = {}

    def number(self, event: object) -> int:
        """``event``'s number, given now if it has none yet."""
        held = self._numbers.get(id(event))
        if held is not None:
            return held[1]
        self._next += 1
        self._numbers[id(event)] = (event, self._next)
        return self._next

    def of(self, event: object) -> int:
        """``event``'s number if it was queued (:meth:`number`), else a fresh one,
        not kept (an event made only to be written once, a re-announcement)."""
        held = self._numbers.get(id(event))
        if held is not None:
            return held[1]
        self._next += 1
        return self._next

    def done(self, events: Iterable[object]) -> None:
        """Forget the numbers of ``events`` (written, or dropped for good)."""
        for event in events:
            self._numbers.pop(id(event), None)

    def __len__(self) -> int:
        return len(self._numbers)


class Seen:
    """The receiver's side: which numbers of each origin were applied here."""

    def __init__(self, window: int = WINDOW) -> None:
        self._window = window
        self._high: dict[str, int] = {}
        self._seen: dict[str, set[int]] = {}

    def first_time(self, origin: str, seq: int) -> bool:
        """Whether ``seq`` of ``origin`` is new here (and remember it). A number
        further than the window below the highest seen is too old to tell apart
        from a repeat: it is refused (a retry never lags that far)."""
        high = self._high.get(origin, 0)
        seen = self._seen.setdefault(origin, set())
        if seq in seen or seq <= high - self._window:
            return False
        seen.add(seq)
        if seq > high:
            self._high[origin] = seq
            if len(seen) > 2 * self._window:  # amortised: prune once per window
                floor = seq - self._window
                self._seen[origin] = {n for n in seen if n > floor}
        return True

    def forget(self, origin: str) -> None:
        """``origin`` is gone for good (its ids are never reused)."""
        self._high.pop(origin, None)
        self._seen.pop(origin, None)
