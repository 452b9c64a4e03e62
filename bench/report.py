"""The benchmark's output: a plain-text table, ratios, and a JSON document.

The table has one block per scenario and one row per figure, a column per server and, when
both ran, a column with the ratio ours / ngircd, one with ours-xN / ours for each network
of N processes (what scaling out buys and costs), and NAME / before:NAME for a server also
run from the code before a change (:func:`ratio_pairs`). For "lower is better" figures a
ratio under 1 is good; the label says which way each figure improves.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from typing import Any

from bench.results import Better, Figure, ScenarioResult, Value
from bench.runner import Outcome

OURS = "ours"
REFERENCE = "ngircd"
SCALED = "ours-x2"
BEFORE = "before:"


def ratio_pairs(names: Sequence[str]) -> list[tuple[str, str]]:
    """The ratio columns for the servers that ran, each (numerator, denominator): ours over
    ngircd, each ``ours-xN`` over one process (``before:ours-xN`` over ``before:ours``),
    and each server over its ``before:`` twin."""
    pairs = [(OURS, REFERENCE)]
    for name in names:
        base = name.removeprefix(BEFORE)
        if base.startswith("ours-x"):
            pairs.append((name, name[: len(name) - len(base)] + OURS))
    pairs += [(name, BEFORE + name) for name in names if not name.startswith(BEFORE)]
    return [(top, bottom) for top, bottom in pairs if top in names and bottom in names]


def ratio(ours: Value, reference: Value) -> float | None:
    """``ours / reference`` when both are numbers and the reference is not zero."""
    numbers = (int, float)
    if isinstance(ours, bool) or isinstance(reference, bool):
        return None
    if isinstance(ours, numbers) and isinstance(reference, numbers) and reference != 0:
        return ours / reference
    return None


def format_value(value: Value, unit: str = "") -> str:
    """A figure as the table shows it: ``-`` when unknown, M/k for large rates."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if unit == "/s":
        if abs(value) >= 1_000_000:
            return f"{value / 1e6:.2f} M/s"
        if abs(value) >= 10_000:
            return f"{value / 1e3:.0f} k/s"
        return f"{value:,.0f}/s"
    if isinstance(value, int):
        text = f"{value:,}"
    elif abs(value) < 10:
        text = f"{value:.3f}".rstrip("0").rstrip(".")
    elif abs(value) < 1000:
        text = f"{value:.1f}"
    else:
        text = f"{value:,.0f}"
    return f"{text} {unit}" if unit else text


def _label(figure: Figure) -> str:
    arrow = {Better.HIGHER: " (higher better)", Better.LOWER: " (lower better)"}
    return figure.label + arrow.get(figure.better, "")


def _grid(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def servers_run(outcome: Outcome) -> list[str]:
    """Names of the servers that were not skipped, in the order asked for."""
    return [s.name for s in outcome.servers if s.skipped is None]


def table(outcome: Outcome) -> str:
    """The whole report as text: servers and settings, then one block per scenario."""
    names = servers_run(outcome)
    pairs = ratio_pairs(names)
    out: list[str] = []
    for info in outcome.servers:
        if info.skipped:
            out.append(f"{info.name}: skipped ({info.skipped})")
        else:
            out.append(f"{info.name}: {info.version}; {info.settings}")
    by_key = {(r.number, r.server): r for r in outcome.results}
    for number in sorted({r.number for r in outcome.results}):
        results = [by_key[(number, n)] for n in names if (number, n) in by_key]
        if not results:
            continue
        out.append("")
        out.append(f"{number}. {results[0].title}")
        header = ["", *names] + [f"{top}/{bottom}" for top, bottom in pairs]
        rows = [header]
        labels: dict[str, Figure] = {}
        for result in results:
            for figure in result.figures:
                labels.setdefault(figure.key, figure)
        for key, figure in labels.items():
            row = ["  " + _label(figure)]
            values = {name: _value(by_key.get((number, name)), key) for name in names}
            row.extend(format_value(values[name], figure.unit) for name in names)
            for top, bottom in pairs:
                r = ratio(values[top], values[bottom])
                row.append("-" if r is None else f"{r:.2f}")
            rows.append(row)
        if len(rows) > 1:
            out.extend(_grid(rows))
        for result in results:
            if result.error:
                out.append(f"  {result.server}: FAILED: {result.error}")
            for note in result.notes:
                out.append(f"  {result.server}: {note}")
        out.extend(_cross_notes(number, results))
    return "\n".join(out) + "\n"


def _value(result: ScenarioResult | None, key: str) -> Value:
    return None if result is None else result.value(key)


def _cross_notes(number: int, results: Sequence[ScenarioResult]) -> list[str]:
    notes = []
    busy = [v for r in results if isinstance(v := r.value("others_cores"), float) and v > 0.25]
    if busy:
        notes.append(
            f"  note: other processes used up to {max(busy):.2f} of this machine's cores during "
            "these runs, so figures here are noisy"
        )
    if any(r.value("generator_cpu_bound") == "yes" for r in results):
        notes.append(
            "  note: the load generator was CPU-bound here, so these figures are a floor on "
            "the server's capacity (try --workers)"
        )
    return notes


def slow_vs_chat(outcome: Outcome) -> list[str]:
    """Lines comparing scenario 5's p99 (others) with scenario 2's, per server."""
    lines = []
    by_key = {(r.number, r.server): r for r in outcome.results}
    for name in servers_run(outcome):
        chat, slow = by_key.get((2, name)), by_key.get((5, name))
        if chat is None or slow is None:
            continue
        base, with_slow = chat.value("latency_p99_ms"), slow.value("latency_p99_ms")
        r = ratio(with_slow, base)
        if r is not None:
            lines.append(
                f"{name}: p99 with a slow reader {format_value(with_slow, 'ms')} vs "
                f"{format_value(base, 'ms')} without ({r:.2f}x)"
            )
    return lines


def scale_out(outcome: Outcome) -> list[str]:
    """Lines summing up ours-x2 against ours: scenario 2's figures, scenario 7's hop.

    Says nothing for what did not run.
    """
    lines = []
    by_key = {(r.number, r.server): r for r in outcome.results}
    one, two = by_key.get((2, OURS)), by_key.get((2, SCALED))
    if one is not None and two is not None and not one.error and not two.error:
        parts = []
        for key, label, unit in (
            ("deliveries_per_s", "deliveries/s", "/s"),
            ("latency_p50_ms", "p50", "ms"),
            ("latency_p99_ms", "p99", "ms"),
            ("total_cpu_s_per_m", "CPU per M deliveries (with Redis)", "s"),
        ):
            a, b = two.value(key), one.value(key)
            r = ratio(a, b)
            shown = f"{format_value(a, unit)} vs {format_value(b, unit)}"
            parts.append(f"{label} {shown}" + (f" ({r:.2f}x)" if r is not None else ""))
        lines.append("ours-x2 vs ours, scenario 2: " + "; ".join(parts))
    hop = by_key.get((7, SCALED))
    if hop is not None and not hop.error:
        lines.append(
            f"ours-x2, scenario 7: the Redis hop adds {format_value(hop.value('hop_p50_ms'), 'ms')}"
            f" at p50 and {format_value(hop.value('hop_p99_ms'), 'ms')} at p99"
        )
    for number in (2, 7):
        result = by_key.get((number, SCALED))
        publishes = None if result is None else result.value("redis_publish_per_msg")
        if isinstance(publishes, (int, float)) and not isinstance(publishes, bool):
            verdict = (
                "at most one per message, not one per recipient"
                if publishes <= 1.01
                else "MORE than one per message"
            )
            lines.append(
                f"ours-x2, scenario {number}: {publishes:.3f} Redis PUBLISH per channel "
                f"message sent ({verdict})"
            )
    return lines


def processes_of(name: str) -> int:
    """The server processes of a server named ``ours-xN`` or ``ours-xN-unix`` (or either
    after ``before:``): N; else 1."""
    base = name.removeprefix(BEFORE)
    digits = base.removeprefix("ours-x").removesuffix("-unix")
    return int(digits) if base.startswith("ours-x") and digits.isdigit() else 1


def capacity(outcome: Outcome, scenarios: Sequence[int] = (1, 2, 8)) -> list[str]:
    """The capacity table: deliveries per CPU-second (server + Redis) of each of our
    servers, and times its number of processes: what it would carry with a core per
    process (this machine may have fewer; the CPU figures do not depend on it)."""
    lines = []
    by_key = {(r.number, r.server): r for r in outcome.results}
    for number in scenarios:
        parts = []
        for name in servers_run(outcome):
            result = by_key.get((number, name))
            cost = None if result is None or result.error else result.value("total_cpu_s_per_m")
            if not name.removeprefix(BEFORE).startswith(OURS) or isinstance(cost, bool):
                continue
            if not isinstance(cost, (int, float)) or cost <= 0:
                continue
            per_core = 1e6 / cost
            cores = processes_of(name)
            parts.append(
                f"{name} {format_value(round(per_core), '/s')} per core x {cores} = "
                f"{format_value(round(per_core * cores), '/s')}"
            )
        if parts:
            lines.append(f"capacity, scenario {number} (deliveries/s): " + "; ".join(parts))
    return lines


def machine() -> dict[str, Any]:
    """A description of this machine for the JSON report."""
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kb = 0
    try:
        with open("/proc/meminfo") as meminfo:
            mem_kb = int(meminfo.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    try:
        import uvloop

        loop = f"uvloop {getattr(uvloop, '__version__', '?')}"
    except ImportError:
        loop = "asyncio"
    return {
        "platform": platform.platform(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "event_loop": loop,
    }


def to_json(outcome: Outcome, command: str, options: dict[str, Any]) -> str:
    """The whole outcome as a JSON document (schema 1)."""
    names = servers_run(outcome)
    by_key = {(r.number, r.server): r for r in outcome.results}
    document: dict[str, Any] = {
        "schema": 1,
        "command": command,
        "options": options,
        "machine": machine(),
        "servers": [
            {"name": s.name, "version": s.version, "settings": s.settings, "skipped": s.skipped}
            for s in outcome.servers
        ],
        "results": [
            {
                "scenario": r.number,
                "title": r.title,
                "server": r.server,
                "error": r.error,
                "figures": {f.key: f.value for f in r.figures},
                "units": {f.key: f.unit for f in r.figures if f.unit},
                "better": {f.key: f.better.value for f in r.figures if f.better.value},
                "notes": r.notes,
            }
            for r in outcome.results
        ],
    }
    for top, bottom in ratio_pairs(names):
        document[f"ratios_{top}_over_{bottom}"] = _ratios(by_key, top, bottom)
    return json.dumps(document, indent=2) + "\n"


def _ratios(
    by_key: dict[tuple[int, str], ScenarioResult], top: str, bottom: str
) -> dict[str, dict[str, float]]:
    """Every numeric figure of ``top`` over the same figure of ``bottom``, by scenario."""
    ratios: dict[str, dict[str, float]] = {}
    for (number, server), result in by_key.items():
        ref = by_key.get((number, bottom))
        if server != top or ref is None:
            continue
        for figure in result.figures:
            r = ratio(figure.value, ref.value(figure.key))
            if r is not None:
                ratios.setdefault(str(number), {})[figure.key] = round(r, 4)
    return ratios
