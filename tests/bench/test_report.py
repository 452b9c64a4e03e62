"""The table, the ratios and the JSON document, from a made-up outcome."""

from __future__ import annotations

import json

from bench.report import (
    capacity,
    format_value,
    processes_of,
    ratio,
    ratio_pairs,
    scale_out,
    slow_vs_chat,
    table,
    to_json,
)
from bench.results import Better, Figure, ScenarioResult
from bench.runner import Outcome, ServerInfo


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


def _scaled_outcome() -> Outcome:
    """ours and ours-x2 in scenario 2, ours-x2 alone in scenario 7."""
    outcome = Outcome(servers=[ServerInfo("ours"), ServerInfo("ours-x2")])
    for server, rate, p99, cpu in (("ours", 1000, 2.0, 0.4), ("ours-x2", 1000, 3.0, 0.6)):
        figures = [
            Figure("deliveries_per_s", "deliveries/s", rate, "/s"),
            Figure("latency_p50_ms", "latency p50", p99 / 4, "ms", Better.LOWER),
            Figure("latency_p99_ms", "latency p99", p99, "ms", Better.LOWER),
            Figure("total_cpu_s_per_m", "server + Redis CPU per M", cpu, "s", Better.LOWER),
        ]
        if server == "ours-x2":
            figures.append(Figure("redis_publish_per_msg", "PUBLISH per message", 1.0))
        outcome.results.append(ScenarioResult(2, "chat", server, figures))
    outcome.results.append(
        ScenarioResult(
            7,
            "hop",
            "ours-x2",
            [
                Figure("hop_p50_ms", "hop p50", 0.8, "ms"),
                Figure("hop_p99_ms", "hop p99", 2.5, "ms"),
                Figure("redis_publish_per_msg", "PUBLISH per message", 1.0),
            ],
        )
    )
    return outcome


def test_two_processes_get_a_ratio_column_against_one() -> None:
    text = table(_scaled_outcome())
    assert "ours-x2/ours" in text and "ours/ngircd" not in text
    row = next(line for line in text.splitlines() if "latency p99" in line)
    assert row.endswith("1.50")


def test_scale_out_summary() -> None:
    lines = scale_out(_scaled_outcome())
    chat = next(line for line in lines if "scenario 2:" in line and "p99" in line)
    assert "p99 3 ms vs 2 ms (1.50x)" in chat
    assert "CPU per M deliveries (with Redis) 0.6 s vs 0.4 s (1.50x)" in chat
    hop = next(line for line in lines if "scenario 7: the Redis hop" in line)
    assert "0.8 ms at p50 and 2.5 ms at p99" in hop
    publish = [line for line in lines if "PUBLISH" in line]
    assert len(publish) == 2
    assert all("one per message, not one per recipient" in line for line in publish)


def test_scale_out_flags_a_publish_per_recipient() -> None:
    outcome = _scaled_outcome()
    outcome.results[-1].figures[-1] = Figure("redis_publish_per_msg", "PUBLISH", 9.5)
    assert any("MORE than one per message" in line for line in scale_out(outcome))
    assert scale_out(_outcome()) == []


def test_json_has_ratios_of_two_processes_over_one() -> None:
    document = json.loads(to_json(_scaled_outcome(), "chatroom bench", {}))
    assert document["ratios_ours-x2_over_ours"]["2"]["latency_p99_ms"] == 1.5
    assert "ratios_ours_over_ngircd" not in document


def test_ratio_pairs_compare_networks_with_one_process_and_changes_with_before() -> None:
    names = ["ours", "ours-x1", "ours-x4", "before:ours", "before:ours-x4", "ngircd"]
    assert ratio_pairs(names) == [
        ("ours", "ngircd"),
        ("ours-x1", "ours"),
        ("ours-x4", "ours"),
        ("before:ours-x4", "before:ours"),
        ("ours", "before:ours"),
        ("ours-x4", "before:ours-x4"),
    ]
    assert ratio_pairs(["ours-x2"]) == []


def test_processes_of_a_server_name() -> None:
    names = ("ours", "ours-x4", "before:ours-x2", "ours-x2-unix", "ngircd")
    assert [processes_of(n) for n in names] == [1, 4, 2, 2, 1]


def test_capacity_is_deliveries_per_cpu_second_times_processes() -> None:
    outcome = Outcome(servers=[ServerInfo("ours"), ServerInfo("ours-x4"), ServerInfo("ngircd")])
    for server, cost in (("ours", 10.0), ("ours-x4", 12.5), ("ngircd", 5.0)):
        figure = Figure("total_cpu_s_per_m", "CPU per M", cost, "s", Better.LOWER)
        outcome.results.append(ScenarioResult(8, "local", server, [figure]))
    (line,) = capacity(outcome)
    assert line.startswith("capacity, scenario 8 (deliveries/s): ")
    assert "ours 100 k/s per core x 1 = 100 k/s" in line
    assert "ours-x4 80 k/s per core x 4 = 320 k/s" in line
    assert "ngircd" not in line  # its CPU is not ours to plan with
