"""``python -m bench.idle`` holds idle clients, runs an active few, and reports memory per
client (the values are the benchmark's business, not the test's)."""

from __future__ import annotations

import re

import pytest

from bench import idle
from bench.runner import Outcome
from bench.worker import CLIENTS_PER_SOURCE, source_address


def test_it_runs_end_to_end_and_reports_memory_per_client(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--clients", "40", "--active", "4", "--duration", "1", "--workers", "1"]
    assert idle.main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"idle clients held .* 40\n", out), out
    assert "server memory per client" in out and "latency p99" in out


def test_it_holds_what_the_open_file_limit_allows(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[int | None] = []
    monkeypatch.setattr(idle, "raise_nofile_limit", lambda: 1000)
    monkeypatch.setattr(
        idle, "run_all", lambda _s, _n, params, _w: asked.append(params.clients) or Outcome()
    )
    assert idle.main(["--clients", "50000"]) == 0
    assert asked == [1000 - idle.SPARE_FILES]
    assert "holding 800 clients instead of 50000" in capsys.readouterr().err


def test_clients_past_the_first_twenty_thousand_connect_from_further_loopback_addresses() -> None:
    assert source_address("127.0.0.1", 0) is None
    assert source_address("127.0.0.1", CLIENTS_PER_SOURCE - 1) is None
    assert source_address("127.0.0.1", CLIENTS_PER_SOURCE) == "127.0.0.2"
    assert source_address("127.0.0.1", 2 * CLIENTS_PER_SOURCE + 5) == "127.0.0.3"
    assert source_address("127.0.0.1", 300 * CLIENTS_PER_SOURCE) == "127.0.1.45"
    assert source_address("::1", CLIENTS_PER_SOURCE) is None
