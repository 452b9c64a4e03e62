"""The table, the ratios and the JSON document, from a made-up outcome."""

from __future__ import annotations

import json

from chatroom.bench.report import format_value, ratio, slow_vs_chat, table, to_json
from chatroom.bench.results import Better, Figure, ScenarioResult
from chatroom.bench.runner import Outcome, ServerInfo


def _outcome() -> Outcome:
    outcome = Outcome(
        servers=[
            ServerInfo("ours", "chatroom 0.1", "flood control off"),
            ServerInfo("ngircd", "ngIRCd 26.1", "MaxPenaltyTime = 0"),
            ServerInfo("miniircd", skipped="not installed"),
        ]
    )
    for server, rate, p99 in (("ours", 3_000_000, 1.5), ("ngircd", 2_000_000, 30.0)):
        outcome.results.append(
            ScenarioResult(
                1,
                "fan-out",
                server,
                [
                    Figure("deliveries_per_s", "deliveries/s", rate, "/s", Better.HIGHER),
                    Figure("generator_cpu_bound", "generator CPU-bound", "no"),
                ],
            )
        )
        outcome.results.append(
            ScenarioResult(2, "chat", server, [Figure("latency_p99_ms", "latency p99", p99, "ms")])
        )
        outcome.results.append(
            ScenarioResult(
                5, "slow", server, [Figure("latency_p99_ms", "latency p99", p99 * 2, "ms")]
            )
        )
    outcome.results.append(ScenarioResult(3, "storm", "ours", error="server did not start"))
    return outcome


def test_ratio_only_for_numbers() -> None:
    assert ratio(3, 2) == 1.5
    assert ratio(1, 0) is None
    assert ratio("yes", 1) is None
    assert ratio(None, 1) is None


def test_format_value() -> None:
    assert format_value(None) == "-"
    assert format_value(2_345_678, "/s") == "2.35 M/s"
    assert format_value(38_000, "/s") == "38 k/s"
    assert format_value(950, "/s") == "950/s"
    assert format_value(0.5, "ms") == "0.5 ms"
    assert format_value(36.21, "ms") == "36.2 ms"
    assert format_value(1234, "") == "1,234"
    assert format_value("needs storage") == "needs storage"


def test_table_has_servers_ratios_skips_and_errors() -> None:
    text = table(_outcome())
    assert "miniircd: skipped (not installed)" in text
    assert "ours/ngircd" in text
    row = next(line for line in text.splitlines() if "deliveries/s" in line)
    assert "3.00 M/s" in row and "2.00 M/s" in row and row.endswith("1.50")
    assert "ours: FAILED: server did not start" in text


def test_slow_reader_compared_with_chatting() -> None:
    lines = slow_vs_chat(_outcome())
    assert any(line.startswith("ours:") and "2.00x" in line for line in lines)


def test_json_document() -> None:
    document = json.loads(to_json(_outcome(), "chatroom bench --scale 0.1", {"scale": 0.1}))
    assert document["schema"] == 1
    assert document["command"] == "chatroom bench --scale 0.1"
    assert document["ratios_ours_over_ngircd"]["1"]["deliveries_per_s"] == 1.5
    assert {s["name"] for s in document["servers"]} == {"ours", "ngircd", "miniircd"}
    first = document["results"][0]
    assert first["figures"]["deliveries_per_s"] == 3_000_000
    assert first["units"]["deliveries_per_s"] == "/s"
    assert "cpus" in document["machine"]
