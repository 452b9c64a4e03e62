"""Login throttling: free tries, exponential back-off, reset, forgetting, bounded memory."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroom.server.throttle import Throttle


def fail_n(throttle: Throttle, key: str, n: int, now: float = 0.0) -> list[float]:
    return [throttle.failed(key, now) for _ in range(n)]


def test_first_failures_are_free_then_delays_double() -> None:
    throttle = Throttle()
    assert throttle.wait_time("a", 0.0) == 0.0
    assert fail_n(throttle, "a", 7) == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0]
    assert throttle.wait_time("a", 0.0) == 16.0
    assert throttle.wait_time("a", 10.0) == 6.0
    assert throttle.wait_time("a", 16.0) == 0.0
    assert throttle.failures("a", 16.0) == 7


def test_delay_is_counted_from_the_last_failure() -> None:
    throttle = Throttle()
    for t in (0.0, 1.0, 2.0):
        throttle.failed("a", t)
    assert throttle.wait_time("a", 2.5) == pytest.approx(0.5)
    assert throttle.failed("a", 3.0) == 2.0
    assert throttle.wait_time("a", 4.0) == 1.0


def test_delay_is_capped() -> None:
    throttle = Throttle(max_delay=300.0)
    delays = fail_n(throttle, "a", 2000)
    assert max(delays) == 300.0
    assert delays[-1] == 300.0


def test_success_resets() -> None:
    throttle = Throttle()
    fail_n(throttle, "a", 5)
    throttle.succeeded("a")
    assert throttle.wait_time("a", 0.0) == 0.0
    assert fail_n(throttle, "a", 3) == [0.0, 0.0, 1.0]
    throttle.succeeded("never seen")  # harmless


def test_keys_are_independent() -> None:
    throttle = Throttle()
    fail_n(throttle, "a", 5)
    assert throttle.wait_time("b", 0.0) == 0.0


def test_failures_are_forgotten_after_the_window() -> None:
    throttle = Throttle(window=60.0)
    fail_n(throttle, "a", 2)
    assert throttle.failures("a", 59.0) == 2
    assert throttle.failures("a", 60.0) == 0
    throttle.failed("a", 100.0)
    throttle.failed("a", 100.0)
    assert throttle.failed("a", 100.0) == 1.0
    assert throttle.failures("a", 160.0) == 3  # the 1 s delay, then the 60 s window
    assert throttle.failures("a", 161.0) == 0
    assert throttle.failed("a", 161.0) == 0.0  # counting starts again
    assert len(throttle) == 1


def test_a_long_delay_outlives_the_window() -> None:
    throttle = Throttle(window=10.0, max_delay=300.0)
    fail_n(throttle, "a", 12)  # the next try waits 300 s, far beyond the window
    assert throttle.wait_time("a", 200.0) == 100.0
    throttle.failed("other", 200.0)  # housekeeping must not forget "a" early
    assert throttle.wait_time("a", 200.0) == 100.0
    assert throttle.failed("a", 301.0) == 300.0  # still counted: no reset by waiting it out
    assert throttle.failures("a", 610.0) == 13
    assert throttle.failures("a", 611.0) == 0  # 300 s delay + 10 s window after the last


def test_forgotten_keys_are_dropped_from_memory() -> None:
    throttle = Throttle(window=10.0)
    for i in range(100):
        throttle.failed(f"k{i}", 0.0)
    assert len(throttle) == 100
    throttle.failed("late", 10.0)
    assert len(throttle) == 1


def test_table_size_is_capped_oldest_first() -> None:
    throttle = Throttle(max_keys=3)
    for t, key in enumerate("abcd"):
        throttle.failed(key, float(t))
    assert len(throttle) == 3
    assert throttle.failures("a", 4.0) == 0
    assert throttle.failures("d", 4.0) == 1
    throttle.failed("b", 5.0)  # b is now the newest; c goes next
    throttle.failed("e", 6.0)
    assert throttle.failures("c", 6.0) == 0
    assert throttle.failures("b", 6.0) == 2


def test_threshold_of_one() -> None:
    assert fail_n(Throttle(threshold=1, base_delay=0.5), "a", 3) == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 0},
        {"base_delay": 0.0},
        {"max_delay": 0.5},
        {"window": 0.0},
        {"max_keys": 0},
    ],
)
def test_bad_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Throttle(**kwargs)  # type: ignore[arg-type]


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.floats(0, 50)), max_size=60))
def test_invariants(events: list[tuple[str, float]]) -> None:
    throttle = Throttle(max_keys=4, window=20.0, max_delay=8.0)
    now = 0.0
    for key, step in events:
        now += step
        delay = throttle.failed(key, now)
        assert 0.0 <= delay <= 8.0
        assert throttle.wait_time(key, now) == pytest.approx(delay)
        assert len(throttle) <= 4
        for other in "abcdef":
            assert 0.0 <= throttle.wait_time(other, now) <= 8.0
