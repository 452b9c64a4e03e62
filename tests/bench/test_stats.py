"""Nearest-rank percentiles and latency summaries."""

from __future__ import annotations

import pytest

from bench.stats import percentile, summarize_ns


def test_nearest_rank_on_ten_values() -> None:
    values = list(range(1, 11))
    assert percentile(values, 50) == 5
    assert percentile(values, 90) == 9
    assert percentile(values, 99) == 10
    assert percentile(values, 100) == 10
    assert percentile(values, 0) == 1


def test_p99_of_a_hundred_is_the_99th_value() -> None:
    values = list(range(1, 101))
    assert percentile(values, 99) == 99


def test_single_value() -> None:
    assert percentile([7], 50) == 7


@pytest.mark.parametrize("p", [-1, 100.5])
def test_percentile_out_of_range(p: float) -> None:
    with pytest.raises(ValueError):
        percentile([1, 2], p)


def test_percentile_of_nothing() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summary_in_milliseconds_unsorted_input() -> None:
    summary = summarize_ns([3_000_000, 1_000_000, 2_000_000, -5])
    assert summary is not None
    assert summary.count == 4
    assert summary.p50_ms == 1.0
    assert summary.max_ms == 3.0
    assert summary.mean_ms == pytest.approx(1.5)


def test_summary_of_nothing() -> None:
    assert summarize_ns([]) is None
