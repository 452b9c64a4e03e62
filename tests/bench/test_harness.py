"""The harness's side of a two-process server: which port each client is sent to, and CPU
summed over the processes. A fake pool and server stand in (no sockets, no processes)."""

from __future__ import annotations

import os
from pathlib import Path

from bench.harness import Harness
from bench.plan import ClientSpec, ConnectCmd, ConnectResult
from bench.pool import WorkerPool
from bench.procstat import read_proc
from bench.redisproc import RedisProcess
from bench.servers import LAUNCHERS, Launcher


class FakeServer:
    """Two "processes" on ports 7001 and 7002, both this test process."""

    launcher: Launcher = LAUNCHERS["ours-x2"]
    ports = (7001, 7002)
    pids = (os.getpid(), os.getpid())
    workdir = Path("/nonexistent")
    redis: RedisProcess | None = None

    def alive(self) -> bool:
        return True

    def log_tail(self, lines: int = 3) -> str:
        return ""


class FakePool(WorkerPool):
    """Records the commands; every client of a ConnectCmd is reported ready."""

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.commands: list[object] = []

    def request(self, commands: list[object], timeout_s: float) -> list[object]:
        self.commands = commands
        return [
            ConnectResult(tuple(s.gid for s in c.specs), {}, (), 0, 0.0, 1.0)
            for c in commands
            if isinstance(c, ConnectCmd)
        ]


def test_clients_alternate_between_the_processes_across_workers() -> None:
    pool = FakePool(3)
    harness = Harness(FakeServer(), pool)
    specs = [ClientSpec(i, f"n{i}", f"#r{i // 20}") for i in range(40)]
    specs.append(ClientSpec(40, "pinned", "#r0", node=1))
    summary = harness.connect(specs, 10, 1.0, 1.0)
    assert len(summary.ready) == 41
    port_of = {}
    for cmd in pool.commands:
        assert isinstance(cmd, ConnectCmd)
        port_of.update({s.gid: port for s, port in zip(cmd.specs, cmd.ports, strict=True)})
    assert all(port_of[i] == (7001, 7002)[i % 2] for i in range(40))
    assert port_of[40] == 7002


def test_cpu_and_memory_are_summed_over_the_processes() -> None:
    one = read_proc(os.getpid())
    sample = Harness(FakeServer(), FakePool(1)).sample()
    assert sample is not None
    assert sample.cpu_s >= 2 * one.cpu_s  # CPU time only grows between the two readings
    assert sample.rss_kb > 1.5 * one.rss_kb
