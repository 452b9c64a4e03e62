"""The cost figures of a run: Redis's bytes per message, in and out apart (no Redis here)."""

from __future__ import annotations

from types import SimpleNamespace

from bench.costs import redis_figures
from bench.harness import ServerUsage
from bench.redisproc import RedisCounters


def _figures(sent: int, in_bytes: int, out_bytes: int) -> dict[str, object]:
    redis = RedisCounters(0.5, 1000, 100, 3, in_bytes, out_bytes)
    run = SimpleNamespace(sent=sent, server=ServerUsage(1.0, 1, 1, redis=redis))
    return {figure.key: figure.value for figure in redis_figures(run)}  # type: ignore[arg-type]


def test_redis_bytes_per_message_in_and_out_apart() -> None:
    figures = _figures(sent=100, in_bytes=15_000, out_bytes=27_049)
    assert figures["redis_bytes_in_per_msg"] == 150
    assert figures["redis_bytes_out_per_msg"] == 270
    assert figures["redis_bytes_per_msg"] == 420


def test_no_message_no_figure_per_message() -> None:
    figures = _figures(sent=0, in_bytes=15_000, out_bytes=27_000)
    assert figures["redis_bytes_in_per_msg"] is None
    assert figures["redis_bytes_out_per_msg"] is None


def test_one_process_has_no_redis_figures() -> None:
    run = SimpleNamespace(sent=100, server=ServerUsage(1.0, 1, 1))
    assert redis_figures(run) == []  # type: ignore[arg-type]
