"""Pictures of a bench run, written next to its JSON: who is faster, at a glance.

``write_plots(document, json_path)`` reads the JSON document (:func:`bench.report.to_json`)
and writes, beside ``bench.json``:

- ``bench-ratios.png``: for each pair of servers compared (ours vs ngircd, ours-x2 vs
  ours), every figure that has a better direction, as "times better": a bar to the right
  of 1 means the first server is better by that factor (green), to the left worse (red).
  Log scale, so twice better and twice worse are the same length.
- ``bench-latency.png``: the message latencies (p50 and p99, in ms, from zero) of every
  scenario that measures them, per server, side by side.

Run alone on an existing JSON: ``python -m bench.plots bench.json``. matplotlib (a
development dependency) is imported only here, with the Agg backend (no display).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

LATENCIES = ("latency_p50_ms", "latency_p99_ms")
"""The latency figures drawn, in this order."""


def advantages(document: dict[str, Any], top: str, bottom: str) -> list[tuple[str, float]]:
    """``(label, times better)`` of ``top`` over ``bottom`` for every figure with a
    better direction: the ratio where higher is better, its inverse where lower is."""
    ratios: dict[str, dict[str, float]] = document.get(f"ratios_{top}_over_{bottom}", {})
    better: dict[tuple[int, str], str] = {}
    for result in document["results"]:
        if result["server"] == top:
            for key, way in result.get("better", {}).items():
                better[(result["scenario"], key)] = way
    out = []
    for scenario, figures in sorted(ratios.items(), key=lambda item: int(item[0])):
        for key, value in figures.items():
            way = better.get((int(scenario), key))
            if way is None or value <= 0:
                continue
            out.append((f"{scenario}: {key}", value if way == "higher" else 1 / value))
    return out


def write_plots(document: dict[str, Any], json_path: Path) -> list[Path]:
    """Write the PNGs of ``document`` beside ``json_path``; return their paths (a plot
    with nothing to show is not written)."""
    import matplotlib

    matplotlib.use("Agg")
    written = []
    pairs = [
        key.removeprefix("ratios_").split("_over_")
        for key in document
        if key.startswith("ratios_") and document[key]
    ]
    if pairs:
        path = json_path.with_name(f"{json_path.stem}-ratios.png")
        if _ratios_figure(document, [(a, b) for a, b in pairs], path):
            written.append(path)
    path = json_path.with_name(f"{json_path.stem}-latency.png")
    if _latency_figure(document, path):
        written.append(path)
    return written


def _ratios_figure(document: dict[str, Any], pairs: list[tuple[str, str]], path: Path) -> bool:
    import matplotlib.pyplot as plt

    drawn = [(top, bottom, advantages(document, top, bottom)) for top, bottom in pairs]
    drawn = [entry for entry in drawn if entry[2]]
    if not drawn:
        return False
    rows = sum(len(bars) for _, _, bars in drawn)
    fig, axes = plt.subplots(
        len(drawn),
        1,
        figsize=(9, 1.2 + 0.28 * rows + 0.8 * len(drawn)),
        squeeze=False,
        height_ratios=[len(bars) + 1 for _, _, bars in drawn],
    )
    for ax, (top, bottom, bars) in zip(axes[:, 0], drawn, strict=True):
        labels = [label for label, _ in bars]
        values = [value for _, value in bars]
        colours = ["tab:green" if value >= 1 else "tab:red" for value in values]
        positions = list(range(len(bars)))[::-1]
        # From 1 to the value: the length is how much better or worse, either way.
        ax.barh(positions, [value - 1 for value in values], left=1, color=colours)
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", linewidth=1)
        ax.set_yticks(positions, labels, fontsize=8)
        ax.set_title(f"{top} vs {bottom}: times better (right of 1: {top} is better)")
        for y, value in zip(positions, values, strict=True):
            ax.annotate(f"{value:.2g}×", (value, y), fontsize=7, va="center")
        ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _latency_figure(document: dict[str, Any], path: Path) -> bool:
    import matplotlib.pyplot as plt

    servers = [s["name"] for s in document["servers"] if not s.get("skipped")]
    table: dict[tuple[int, str], dict[str, float]] = {}
    for result in document["results"]:
        figures = result["figures"]
        found = {k: figures[k] for k in LATENCIES if isinstance(figures.get(k), int | float)}
        if found:
            table[(result["scenario"], result["server"])] = found
    scenarios = sorted({scenario for scenario, _ in table})
    if not scenarios:
        return False
    fig, axes = plt.subplots(1, len(LATENCIES), figsize=(10, 4), squeeze=False)
    width = 0.8 / max(1, len(servers))
    for ax, key in zip(axes[0], LATENCIES, strict=True):
        for i, server in enumerate(servers):
            xs = [n + (i - (len(servers) - 1) / 2) * width for n in range(len(scenarios))]
            ys = [table.get((s, server), {}).get(key, 0.0) for s in scenarios]
            bars = ax.bar(xs, ys, width, label=server)
            ax.bar_label(bars, fmt="%.3g", fontsize=7)
        ax.set_xticks(range(len(scenarios)), [f"scenario {s}" for s in scenarios])
        ax.set_ylabel("ms (lower is better)")
        ax.set_title(key.removeprefix("latency_").removesuffix("_ms") + " message latency")
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.plots FILE.json``: write the plots of an earlier run."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bench.plots FILE.json", file=sys.stderr)
        return 2
    path = Path(args[0])
    for written in write_plots(json.loads(path.read_text()), path):
        print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
