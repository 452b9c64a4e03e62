"""Percentiles and latency summaries, in plain Python (no numpy).

Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value
at rank ``ceil(p / 100 * n)`` (1-based), so it is always one of the measured values and the
100th percentile is the maximum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(sorted_values: Sequence[int], p: float) -> int:
    """Return the nearest-rank ``p``-th percentile of ``sorted_values`` (ascending).

    Raises ValueError when the sequence is empty or ``p`` is outside [0, 100].
    """
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0.0 <= p <= 100.0:
        raise ValueError(f"percentile {p} is outside 0..100")
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class LatencySummary:
    """Latency figures in milliseconds over ``count`` samples."""

    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float


def summarize_ns(samples_ns: Sequence[int]) -> LatencySummary | None:
    """Summarize latencies given in nanoseconds; None when there are no samples.

    Negative samples (clock skew cannot happen with CLOCK_MONOTONIC, but a malformed stamp
    can) are clamped to zero rather than dropped, so the count stays honest.
    """
    if not samples_ns:
        return None
    ordered = sorted(max(0, s) for s in samples_ns)
    ms = 1e-6
    return LatencySummary(
        count=len(ordered),
        p50_ms=percentile(ordered, 50) * ms,
        p90_ms=percentile(ordered, 90) * ms,
        p99_ms=percentile(ordered, 99) * ms,
        max_ms=ordered[-1] * ms,
        mean_ms=sum(ordered) / len(ordered) * ms,
    )
