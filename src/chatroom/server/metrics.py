"""What the server counts for its operator: plain numbers, read by an exporter.

The core and its adapters add to a :class:`Metrics` (one per :class:`Server`, as
``server.metrics``) with plain ``+=`` on attributes: no library call, no lock, no
label lookup on the hot path. A relay counts its recipients once
(``deliveries += len(recipients)``), never per recipient. The exporter
(:mod:`chatroom.web.metrics`, Prometheus) reads these numbers when it is scraped and
derives the gauges (sessions per transport, channels) from the server's state then.

Who adds what:

- the core: registrations, relays and deliveries, SendQ drops, flood delays, logins,
  history rows written or refused and the time until they were durable;
- the Redis bridge (``--cluster``): events published and received, and whether Redis
  is reachable (``network_reachable``; None for a process on its own);
- :class:`LoopLag`, started by the composition: how late the event loop runs a timer.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left

#: Upper bounds (seconds) of the buckets of the time a message takes to be durable.
STORE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The counters of one server process; every attribute only grows, but the gauges
    (``history_pending``, ``network_reachable``, ``loop_lag``)."""

    __slots__ = (
        "deliveries",
        "flood_delays",
        "history_failed",
        "history_pending",
        "history_seconds",
        "history_seconds_buckets",
        "history_written",
        "logins_failed",
        "logins_ok",
        "logins_throttled",
        "loop_lag",
        "loop_lag_max",
        "network_published",
        "network_reachable",
        "network_received",
        "registrations",
        "relays",
        "sendq_drops",
    )

    def __init__(self) -> None:
        self.registrations = 0  # connections that completed registration (001)
        self.relays = 0  # PRIVMSG/NOTICE/TAGMSG relayed to one target
        self.deliveries = 0  # copies of them queued for local recipients
        self.sendq_drops = 0  # connections cut because their SendQ overflowed
        self.flood_delays = 0  # times flood control made a client wait
        self.logins_ok = 0  # SASL and OPER
        self.logins_failed = 0
        self.logins_throttled = 0  # refused before any check: too many failures
        self.history_written = 0  # messages history made durable
        self.history_failed = 0  # messages history could not store (not sent)
        self.history_pending = 0  # gauge: appended, not yet durable
        self.history_seconds = 0.0  # sum of the times from append to durable
        # Cumulative per bound of STORE_BUCKETS, the last one +Inf.
        self.history_seconds_buckets = [0] * (len(STORE_BUCKETS) + 1)
        self.network_published = 0  # events this process sent to Redis
        self.network_received = 0  # events of other processes it read from Redis
        self.network_reachable: bool | None = None  # None: not in a network
        self.loop_lag = 0.0  # gauge: seconds late of the last loop timer
        self.loop_lag_max = 0.0  # gauge: the most since the last scrape

    def stored(self, ok: bool, seconds: float) -> None:
        """One message appended to history ``seconds`` ago is durable (``ok``) or failed."""
        self.history_pending -= 1
        if not ok:
            self.history_failed += 1
            return
        self.history_written += 1
        self.history_seconds += seconds
        self.history_seconds_buckets[bisect_left(STORE_BUCKETS, seconds)] += 1

    def take_lag_max(self) -> float:
        """The worst loop lag since the last call (a scrape), and start again."""
        worst, self.loop_lag_max = self.loop_lag_max, self.loop_lag
        return worst


class LoopLag:
    """Measure how late the event loop runs a timer set ``interval`` seconds ahead:
    a loop busy with one long callback (a slow query on the loop, a huge fan-out) makes
    everyone wait that long, and shows here."""

    def __init__(
        self, metrics: Metrics, loop: asyncio.AbstractEventLoop, interval: float = 0.5
    ) -> None:
        self.metrics = metrics
        self.loop = loop
        self.interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0

    def start(self) -> None:
        """Start measuring (idempotent)."""
        if self._handle is None:
            self._schedule()

    def stop(self) -> None:
        """Stop measuring (idempotent)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _schedule(self) -> None:
        self._due = self.loop.time() + self.interval
        self._handle = self.loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        lag = max(0.0, self.loop.time() - self._due)
        metrics = self.metrics
        metrics.loop_lag = lag
        if lag > metrics.loop_lag_max:
            metrics.loop_lag_max = lag
        self._schedule()
