"""One server under test plus one pool of worker processes, measured phase by phase.

A scenario asks the :class:`Harness` to :meth:`~Harness.connect` a plan of clients and then
to :meth:`~Harness.run` it. Each phase returns a summary that merges the workers' results
with the server's CPU time over the phase (``/proc/PID/stat`` deltas) and its memory after
it (both summed over the server's processes when it is several, with Redis's CPU and
counters apart), and says whether a worker was CPU-bound (busy for more than
:data:`CPU_BOUND_SHARE` of the phase), in which case the figures measure the generator as
much as the server.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from bench.network import ServerUnderTest
from bench.plan import (
    ClientSpec,
    ConnectCmd,
    ConnectResult,
    Partition,
    RunCmd,
    RunResult,
    assign_ports,
)
from bench.pool import WorkerPool
from bench.procstat import ProcSample, read_machine_busy, read_proc
from bench.redisproc import RedisCounters
from bench.servers import HOST

#: A worker busy for more than this share of a phase's wall time was the bottleneck.
CPU_BOUND_SHARE = 0.9
#: Time between sending a command and the moment all workers start on it.
START_DELAY_S = 0.3


@dataclass(frozen=True)
class ServerUsage:
    """The server's CPU seconds over a phase, and its memory (kB) at the end of it.

    A figure is None when the server was gone by the time it was read. ``others_cores``
    is the CPU that neither the server (nor its Redis) nor the generator used during the
    phase, in cores: other processes on the machine, which make the figures noisy when it
    is high. ``redis`` is what the network's Redis did over the phase (None for one
    process, or when it could not be read).
    """

    cpu_s: float | None
    rss_kb: int | None
    hwm_kb: int | None
    others_cores: float | None = None
    redis: RedisCounters | None = None


@dataclass(frozen=True)
class GeneratorUsage:
    """The busiest worker's CPU share of the phase, and whether that made it the bottleneck."""

    max_share: float
    cpu_bound: bool


@dataclass(frozen=True)
class ConnectSummary:
    """A connect phase over all workers."""

    wanted: int
    ready: frozenset[int]
    failures: dict[str, int]
    register_ns: list[int]
    seconds: float
    server: ServerUsage
    generator: GeneratorUsage


@dataclass(frozen=True)
class RunSummary:
    """A run phase over all workers.

    For a slow reader: seconds from the start until another client saw its QUIT (the server
    dropped it) and until its own socket was reset (the server also closed the connection).
    """

    sent: int
    received: int
    expected: int
    lost: int
    extra: int
    latencies_ns: list[int]
    labelled_ns: dict[str, list[int]]
    samples_dropped: int
    duplicates: int
    first_send_ns: int
    seconds: float
    disconnects: dict[str, int]
    slow_present: bool
    slow_quit_after_s: float | None
    slow_reset_after_s: float | None
    server: ServerUsage
    generator: GeneratorUsage


class _Meter:
    """Readings taken at the start of a phase, to compute what it used."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.server = harness.sample()
        self.redis = harness.redis_counters()
        self.machine = read_machine_busy()
        self.own = time.process_time()
        self.wall = time.monotonic()

    def usage(self, generator_cpu_s: float) -> ServerUsage:
        after = self.harness.sample()
        redis_after = self.harness.redis_counters()
        redis = None
        if redis_after is not None and self.redis is not None:
            redis = redis_after.since(self.redis)
        machine = read_machine_busy()
        wall = time.monotonic() - self.wall
        cpu = None
        if after is not None and self.server is not None:
            cpu = after.cpu_s - self.server.cpu_s
        others = None
        if machine is not None and self.machine is not None and cpu is not None and wall > 0:
            spent = cpu + generator_cpu_s + (time.process_time() - self.own)
            spent += redis.cpu_s if redis is not None else 0.0
            others = max(0.0, (machine - self.machine - spent) / wall)
        return ServerUsage(
            cpu_s=cpu,
            rss_kb=None if after is None else after.rss_kb,
            hwm_kb=None if after is None else after.hwm_kb,
            others_cores=others,
            redis=redis,
        )


def _generator(cpu_wall: list[tuple[float, float]]) -> GeneratorUsage:
    shares = [cpu / wall for cpu, wall in cpu_wall if wall > 0]
    top = max(shares, default=0.0)
    return GeneratorUsage(top, top > CPU_BOUND_SHARE)


def expected_deliveries(specs: list[ClientSpec], ready: frozenset[int]) -> dict[int, int]:
    """Map each ready, non-slow client to the messages its room's other ready members send.

    Every message reaches every other member of the room; a sender does not get its own
    message back (no echo-message capability is requested).
    """
    sent_to: Counter[str] = Counter()
    for spec in specs:
        if spec.gid in ready:
            sent_to[spec.room] += spec.sends
    return {
        spec.gid: sent_to[spec.room] - spec.sends
        for spec in specs
        if spec.gid in ready and not spec.slow
    }


class Harness:
    """Drives one running server with one worker pool; see the module docstring."""

    def __init__(self, server: ServerUnderTest, pool: WorkerPool) -> None:
        self.server = server
        self.pool = pool

    def sample(self) -> ProcSample | None:
        """Read the server's CPU and memory now, summed over its processes; None if one
        has exited."""
        try:
            samples = [read_proc(pid) for pid in self.server.pids]
        except OSError:
            return None
        return ProcSample(
            cpu_s=sum(s.cpu_s for s in samples),
            rss_kb=sum(s.rss_kb for s in samples),
            hwm_kb=sum(s.hwm_kb for s in samples),
        )

    def redis_counters(self) -> RedisCounters | None:
        """Read the network's Redis counters now; None for one process or if unreadable."""
        redis = self.server.redis
        return None if redis is None else redis.counters()

    def connect(
        self,
        specs: list[ClientSpec],
        concurrency: int,
        client_timeout_s: float,
        deadline_s: float,
    ) -> ConnectSummary:
        """Connect, register and join ``specs`` with ``concurrency`` in flight in total.

        The phase ends within ``deadline_s`` (plus a few seconds for the replies).
        """
        parts = Partition.of(specs, self.pool.n).parts
        port_of = dict(
            zip((s.gid for s in specs), assign_ports(specs, self.server.ports), strict=True)
        )
        per_worker = max(1, concurrency // self.pool.n)
        start = time.monotonic_ns() + int(START_DELAY_S * 1e9)
        deadline = start + int(deadline_s * 1e9)
        commands: list[object] = [
            ConnectCmd(
                HOST,
                tuple(port_of[s.gid] for s in part),
                tuple(part),
                per_worker,
                start,
                client_timeout_s,
                deadline,
            )
            for part in parts
        ]
        meter = _Meter(self)
        replies = self.pool.request(commands, START_DELAY_S + deadline_s + 15.0)
        results = [r for r in replies if isinstance(r, ConnectResult)]
        failures: Counter[str] = Counter()
        ready: set[int] = set()
        register_ns: list[int] = []
        for result in results:
            failures.update(result.failures)
            ready.update(result.ready)
            register_ns.extend(result.register_ns)
        end = max((r.end_ns for r in results), default=start)
        return ConnectSummary(
            wanted=len(specs),
            ready=frozenset(ready),
            failures=dict(failures),
            register_ns=register_ns,
            seconds=max(0.0, (end - start) / 1e9),
            server=meter.usage(sum(r.cpu_s for r in results)),
            generator=_generator([(r.cpu_s, r.wall_s) for r in results]),
        )

    def run(
        self,
        specs: list[ClientSpec],
        ready: frozenset[int],
        *,
        msg_bytes: int,
        quiet_s: float,
        max_extra_s: float,
        max_samples: int = 1_000_000,
    ) -> RunSummary:
        """Send every ready client's planned messages and count deliveries.

        The phase lasts as long as the plan's sends plus at most ``max_extra_s`` for the last
        deliveries (less when everything arrived, or nothing did for ``quiet_s``).
        """
        expected = expected_deliveries(specs, ready)
        parts = Partition.of([s for s in specs if s.gid in ready], self.pool.n).parts
        start = time.monotonic_ns() + int(START_DELAY_S * 1e9)
        send_span = max(
            (
                s.offset_s + (s.sends - 1) * s.interval_s
                for s in specs
                if s.sends > 0 and s.interval_s > 0
            ),
            default=0.0,
        )
        sends_end = start + int(send_span * 1e9)
        deadline = sends_end + int(max_extra_s * 1e9)
        per_worker = max(1, max_samples // self.pool.n)
        commands: list[object] = [
            RunCmd(
                expected={s.gid: expected[s.gid] for s in part if s.gid in expected},
                start_at_ns=start,
                sends_end_ns=sends_end,
                quiet_s=quiet_s,
                deadline_ns=deadline,
                msg_bytes=msg_bytes,
                max_samples=per_worker,
                watch_nick=next((s.nick for s in specs if s.slow and s.gid in ready), None),
            )
            for part in parts
        ]
        meter = _Meter(self)
        replies = self.pool.request(commands, START_DELAY_S + send_span + max_extra_s + 15.0)
        results = [r for r in replies if isinstance(r, RunResult)]
        disconnects: Counter[str] = Counter()
        latencies: list[int] = []
        labelled: dict[str, list[int]] = {}
        for result in results:
            disconnects.update(result.disconnects)
            latencies.extend(result.latencies_ns)
            for label, samples in result.labelled_ns.items():
                labelled.setdefault(label, []).extend(samples)
        first_send = min((r.first_send_ns for r in results if r.first_send_ns), default=start)
        last_recv = max((r.last_recv_ns for r in results), default=first_send)
        quits = [r.slow_quit_seen_ns for r in results if r.slow_quit_seen_ns]
        resets = [r.slow_reset_ns for r in results if r.slow_reset_ns]
        return RunSummary(
            sent=sum(r.sent for r in results),
            received=sum(r.received for r in results),
            expected=sum(r.expected for r in results),
            lost=sum(r.lost for r in results),
            extra=sum(r.extra for r in results),
            latencies_ns=latencies,
            labelled_ns=labelled,
            samples_dropped=sum(r.samples_dropped for r in results),
            duplicates=sum(r.duplicates for r in results),
            first_send_ns=first_send,
            seconds=max(1e-9, (last_recv - first_send) / 1e9),
            disconnects=dict(disconnects),
            slow_present=any(r.slow_present for r in results),
            slow_quit_after_s=(min(quits) - start) / 1e9 if quits else None,
            slow_reset_after_s=(min(resets) - start) / 1e9 if resets else None,
            server=meter.usage(sum(r.cpu_s for r in results)),
            generator=_generator([(r.cpu_s, r.wall_s) for r in results]),
        )
