"""``python -m bench.idle``: many idle clients held by one server process (issue 20, item 6).

It runs scenario 4 of the benchmark (``capacity``) against our server alone, with a client
count of your choice: connect and register ``--clients`` clients in rooms of 20, read the
server's resident set before and after, and print ``(RSS after - RSS before) / clients``
as the server's memory per client; then ``--active`` of them chat at scenario 2's rate for
``--duration`` seconds while the others stay idle, and the latency of their deliveries is
the figure to keep under 20 ms at p99. Everything runs on loopback, over several
load-generator processes (``--workers``).

Holding N clients takes N open files in the server and N spread over the workers: this
raises the open-file limit to its hard limit first, and when the hard limit is below what
is needed it holds as many as fit and says so (docs/deploy.md says how to raise it). Past
20,000 clients the workers connect from further loopback source addresses (127.0.0.2,
127.0.0.3, ...), 20,000 each, so that the ephemeral ports of one address (28,000 by
default, ``net.ipv4.ip_local_port_range``) do not run out.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bench import report
from bench.cli import default_workers
from bench.runner import run_all
from bench.scenarios import Params
from bench.worker import raise_nofile_limit

SPARE_FILES = 200
"""Open files the server needs besides its clients (listener, databases, logs, pipes)."""

CAPACITY = 4
"""The benchmark's scenario that holds idle clients and runs an active subset."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.idle",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("--clients", type=int, default=50_000, help="idle clients to hold")
    parser.add_argument("--active", type=int, default=1000, help="of them, how many chat")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of chatting")
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="load-generator processes"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the measurement; 0 when it ran, 1 when it failed."""
    args = build_parser().parse_args(argv)
    limit = raise_nofile_limit()
    clients = args.clients
    if clients + SPARE_FILES > limit:
        clients = max(2, limit - SPARE_FILES)
        print(
            f"note: the open-file limit is {limit} (ulimit -Hn) and cannot be raised here: "
            f"holding {clients} clients instead of {args.clients}",
            file=sys.stderr,
        )
    active = min(clients, max(2, args.active))
    params = Params(scale=active / 1000, clients=clients, duration_s=args.duration)
    outcome = run_all(["ours"], [CAPACITY], params, max(1, args.workers))
    sys.stdout.write(report.table(outcome))
    return 0 if all(result.error is None for result in outcome.results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
