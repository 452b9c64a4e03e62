"""The bench's pictures: written beside the JSON, right of 1 where ours is better."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.plots import advantages, main, write_plots
from bench.runner import _elapsed

PNG = b"\x89PNG\r\n\x1a\n"


def _result(server: str, scenario: int, p50: float, rate: float) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "title": f"scenario {scenario}",
        "server": server,
        "error": None,
        "figures": {"latency_p50_ms": p50, "latency_p99_ms": p50 * 3, "msgs_per_s": rate},
        "units": {"latency_p50_ms": "ms", "latency_p99_ms": "ms"},
        "better": {"latency_p50_ms": "lower", "latency_p99_ms": "lower", "msgs_per_s": "higher"},
        "notes": [],
    }


DOCUMENT: dict[str, Any] = {
    "servers": [{"name": "ours"}, {"name": "ngircd"}, {"name": "miniircd", "skipped": "absent"}],
    "results": [
        _result("ours", 1, 2.0, 1000.0),
        _result("ngircd", 1, 1.0, 500.0),
        _result("ours", 2, 0.5, 900.0),
        _result("ngircd", 2, 1.0, 1000.0),
    ],
    "ratios_ours_over_ngircd": {
        "1": {"latency_p50_ms": 2.0, "latency_p99_ms": 2.0, "msgs_per_s": 2.0},
        "2": {"latency_p50_ms": 0.5, "latency_p99_ms": 0.5, "msgs_per_s": 0.9},
    },
}


def test_times_better_turns_lower_is_better_around() -> None:
    found = dict(advantages(DOCUMENT, "ours", "ngircd"))
    assert found["1: msgs_per_s"] == 2.0  # twice the rate: twice better
    assert found["1: latency_p50_ms"] == 0.5  # twice the latency: twice worse
    assert found["2: latency_p50_ms"] == 2.0


def test_the_plots_are_written_beside_the_json(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(DOCUMENT))
    written = write_plots(DOCUMENT, path)
    assert [p.name for p in written] == ["bench-ratios.png", "bench-latency.png"]
    for png in written:
        assert png.read_bytes()[:8] == PNG
    assert main([str(path)]) == 0  # again, from the JSON alone


def test_nothing_to_draw_writes_nothing(tmp_path: Path) -> None:
    empty = {"servers": [{"name": "ours"}], "results": []}
    assert write_plots(empty, tmp_path / "bench.json") == []


@pytest.mark.parametrize(("ago", "shown"), [(0, "0m00s"), (65, "1m05s")])
def test_progress_shows_the_time_spent(
    ago: float, shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bench.runner.time.monotonic", lambda: 1000.0)
    assert _elapsed(1000.0 - ago) == shown
