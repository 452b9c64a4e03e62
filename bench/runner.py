"""Run the selected scenarios against the selected servers, side by side.

For each scenario, each server in turn gets a fresh process (started by the bench on a free
loopback port with a temporary config, stopped afterwards whatever happens) and a fresh pool
of worker processes. A server that cannot run here is skipped once, with the reason.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.harness import Harness
from bench.network import start
from bench.pool import WorkerFailed, WorkerPool
from bench.results import ScenarioResult
from bench.scenarios import SCENARIOS, Params
from bench.servers import ServerStartError, launcher


@dataclass
class ServerInfo:
    """What the report says about one selected server."""

    name: str
    version: str = ""
    settings: str = ""
    skipped: str | None = None


@dataclass
class Outcome:
    """Everything one bench invocation measured."""

    servers: list[ServerInfo] = field(default_factory=list)
    results: list[ScenarioResult] = field(default_factory=list)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_all(
    server_names: list[str],
    scenario_numbers: list[int],
    params: Params,
    workers: int,
    progress: Callable[[str], None] = _say,
) -> Outcome:
    """Measure every (scenario, server) pair; never leaves a server or worker running."""
    outcome = Outcome()
    runnable = []
    launchers = {name: launcher(name) for name in server_names}
    for name in server_names:
        reason = launchers[name].unavailable()
        info = ServerInfo(name, settings=launchers[name].settings, skipped=reason)
        if reason is None:
            info.version = launchers[name].version()
            runnable.append(name)
        else:
            progress(f"skipping {name}: {reason}")
        outcome.servers.append(info)
    total = len(scenario_numbers) * len(runnable)
    started = time.monotonic()
    done = 0
    for number in scenario_numbers:
        scenario = SCENARIOS[number]
        title = scenario.title(params)
        for name in runnable:
            done += 1
            if launchers[name].processes < scenario.processes:
                progress(
                    f"scenario {number}, {name}: not run, it needs a server of "
                    f"{scenario.processes} processes (ours-x2, ours-x4)"
                )
                continue
            progress(f"[{done}/{total}, {_elapsed(started)}] scenario {number}, {name}: {title}")
            result = ScenarioResult(number, title, name)
            outcome.results.append(result)
            if scenario.run is None:
                assert scenario.placeholder is not None
                result.figures = list(scenario.placeholder[0])
                result.notes = list(scenario.placeholder[1])
                continue
            try:
                with (
                    start(launchers[name], scenario.history) as server,
                    WorkerPool(workers) as pool,
                ):
                    result.figures, result.notes = scenario.run(Harness(server, pool), params)
                    if not server.alive():
                        result.notes.append(f"the server exited: {server.log_tail()}")
            except ServerStartError as exc:
                result.error = f"server did not start: {exc}"
            except WorkerFailed as exc:
                result.error = f"load generator failed: {exc}"
            except OSError as exc:  # /proc of a server that died, sockets, pipes
                result.error = f"{type(exc).__name__}: {exc}"
            if result.error:
                progress(f"  failed: {result.error}")
    return outcome


def _elapsed(since: float) -> str:
    """``1m05s`` since ``since`` (monotonic): how long a long run has been going."""
    seconds = int(time.monotonic() - since)
    return f"{seconds // 60}m{seconds % 60:02d}s"
