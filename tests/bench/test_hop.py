"""The Redis hop floor (bench.hop) at tiny size: every message arrives, and the costs
are read for all three parties. Skipped without redis-server; never asserts on speed."""

from __future__ import annotations

import pytest

from bench import hop
from bench.redisproc import find_redis


@pytest.fixture(autouse=True)
def _redis_installed() -> None:
    if find_redis()[0] is None:
        pytest.skip(find_redis()[1])


@pytest.mark.timeout(120)
@pytest.mark.parametrize("batch", [1, 4])
def test_every_message_crosses_and_each_party_is_measured(batch: int) -> None:
    cost = hop.measure(rate=400, seconds=0.5, size=100, batch=batch)
    # The subscriber returns only after counting every publish, so a lost one hangs
    # (and the timeout fails the test) rather than passing.
    assert cost.messages == 200
    # CPU time of the two children in µs; Redis's from /proc, in 10 ms ticks.
    assert cost.publisher_us > 0 and cost.subscriber_us > 0 and cost.redis_us >= 0
    assert cost.total_us == cost.publisher_us + cost.subscriber_us + cost.redis_us


def test_a_batch_is_one_publish_of_the_payloads_back_to_back() -> None:
    command = hop._command(3, 2)
    assert command == b"*3\r\n$7\r\nPUBLISH\r\n$3\r\nhop\r\n$6\r\nxxxxxx\r\n"
