"""The token bucket behind fakelag."""

from __future__ import annotations

from chatroom.server.flood import TokenBucket


def test_burst_then_rate() -> None:
    bucket = TokenBucket(burst=3, rate=2.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.wait() == 0.5
    assert not bucket.take(0.4)
    assert bucket.take(0.5)


def test_refill_is_capped_at_burst() -> None:
    bucket = TokenBucket(burst=2, rate=10.0, now=0.0)
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.take(100.0) and bucket.take(100.0)
    assert not bucket.take(100.0)


def test_charge_spends_tokens_for_work_done_down_to_minus_burst() -> None:
    bucket = TokenBucket(burst=20, rate=5.0, now=0.0)
    bucket.charge(0.0, 30)  # a reply of 300 lines
    assert not bucket.take(0.0)
    assert bucket.wait() == (1 + 10) / 5.0
    bucket.charge(0.0, 1000)  # the debt stops at -burst
    assert bucket.wait() == (1 + 20) / 5.0
    assert not bucket.take(4.0) and bucket.take(4.2) and not bucket.take(4.2)
