"""``python -m bench``: parse the command line, run the comparison, print and save the report.

:func:`main` is the entry point (``python -m bench`` from a source checkout calls it; the
benchmark is not part of the installed package). It returns 0 when every selected scenario ran
against every available server, 1 when some failed, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from bench import report
from bench.runner import run_all
from bench.scenarios import SCENARIOS, Params
from bench.servers import BEFORE, DEFAULT_SERVERS, LAUNCHERS, known
from bench.worker import raise_nofile_limit


def default_workers() -> int:
    """One worker per CPU beyond the one the server uses, at least 1, at most 8."""
    return max(1, min(8, (os.cpu_count() or 2) - 1))


def _int_list(text: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    unknown = [n for n in numbers if n not in SCENARIOS]
    if unknown or not numbers:
        raise argparse.ArgumentTypeError(f"scenarios are 1..{len(SCENARIOS)}, got {text!r}")
    return numbers


def _name_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if not known(n)]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"servers are {', '.join(LAUNCHERS)} (ours ones also as {BEFORE}NAME); got {text!r}"
        )
    return names


def _positive(kind: type[int] | type[float]) -> argparse._ActionType:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed so tests and docs can read it)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Drive IRC servers on 127.0.0.1 with many real connections, side by side, and "
            "report throughput, latency, connection times, CPU and memory. Each server is "
            "started by the bench on a free loopback port with flood control and "
            "per-address limits lifted, and stopped afterwards. Scenarios: "
            "1 fan-out flat out, 2 people chatting, 3 connection storm, 4 capacity, "
            "5 slow reader, 6 history, 7 Redis hop (ours-x2/x4 only), 8 rooms stay local. "
            "The servers ours-x1, ours-x2 and ours-x4 are ours as 1, 2 or 4 processes "
            "joined through a throwaway redis-server, with clients spread over them "
            "(ours-x2-unix and ours-x4-unix reach it over a Unix socket): run "
            "'--servers ours,ours-x2 --scenarios 2,7' to see what scaling out buys and "
            "costs. before:NAME runs NAME from the source tree in CHATROOM_BENCH_BEFORE "
            "(a src directory), to measure a change side by side with the code before it."
        ),
    )
    parser.add_argument(
        "--servers",
        type=_name_list,
        default=list(DEFAULT_SERVERS),
        help=f"comma-separated servers to run, of {','.join(LAUNCHERS)} (default: "
        f"{','.join(DEFAULT_SERVERS)}; missing ones are skipped with the reason)",
    )
    parser.add_argument(
        "--scenarios",
        type=_int_list,
        default=[1, 2, 3, 4, 5, 6],
        help="comma-separated scenario numbers (default: 1,2,3,4,5,6; 7 needs ours-x2/x4)",
    )
    parser.add_argument(
        "--scale",
        type=_positive(float),
        default=1.0,
        help="multiply every scenario's client count (e.g. 0.1 for a quick run)",
    )
    parser.add_argument(
        "--clients",
        type=_positive(int),
        default=None,
        help="use exactly this many clients in every scenario",
    )
    parser.add_argument(
        "--duration",
        type=_positive(float),
        default=10.0,
        help="seconds of chatting in scenarios 2, 4 and 5 (default: 10)",
    )
    parser.add_argument(
        "--msg-bytes",
        type=_positive(int),
        default=64,
        help="bytes of text per message, stamp included (default: 64)",
    )
    parser.add_argument(
        "--workers",
        type=_positive(int),
        default=default_workers(),
        help=f"load-generator processes (default: CPUs - 1, here {default_workers()})",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the random start offsets")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the results as JSON to FILE",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the bench with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help (0) and on errors (2)
        return int(exc.code) if isinstance(exc.code, int) else 2
    limit = raise_nofile_limit()
    params = Params(
        scale=args.scale,
        clients=args.clients,
        duration_s=args.duration,
        msg_bytes=args.msg_bytes,
        seed=args.seed,
    )
    full = {1: 200, 2: 1000, 3: 1000, 4: 10_000, 5: 1001, 6: 0, 7: 200, 8: 1000}
    biggest = max(params.size(full[n]) for n in args.scenarios)
    if biggest + 100 > limit:
        print(
            f"warning: {biggest} clients need more open files than the limit ({limit})",
            file=sys.stderr,
        )
    outcome = run_all(args.servers, args.scenarios, params, args.workers)
    text = report.table(outcome)
    extra = report.slow_vs_chat(outcome) + report.scale_out(outcome) + report.capacity(outcome)
    if extra:
        text += "\n" + "\n".join(extra) + "\n"
    sys.stdout.write(text)
    if args.json is not None:
        command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
        options = {
            "servers": args.servers,
            "scenarios": args.scenarios,
            "scale": args.scale,
            "clients": args.clients,
            "duration_s": args.duration,
            "msg_bytes": args.msg_bytes,
            "workers": args.workers,
            "seed": args.seed,
        }
        document = report.to_json(outcome, command, options)
        args.json.write_text(document)
        from bench.plots import write_plots  # matplotlib only when plots are wanted

        for path in write_plots(json.loads(document), args.json):
            print(f"wrote {path}", file=sys.stderr)
    failed = any(r.error for r in outcome.results)
    return 1 if failed else 0
