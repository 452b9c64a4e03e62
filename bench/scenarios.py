"""The six scenarios of issue 7 and the Redis hop of issue 9, each a plan of clients plus the
figures drawn from a run.

Every scenario runs against a freshly started server (so its peak memory is the scenario's
own), from a fresh worker pool, and stops by itself: each phase has a deadline. Sizes scale
with ``--scale`` (or are set with ``--clients``); rooms hold 20 people throughout.

1. fan-out flat out: 200 clients in one room, 20 send 500 messages each at once.
2. people chatting: 1,000 clients in 50 rooms, 2 messages/s each, random start offsets.
3. connection storm: register and join 1,000 clients, 100 in flight at a time.
4. capacity: hold 10,000 idle clients, memory per client; then scenario 2's rate on 1,000.
5. slow reader: scenario 2 while one more client, in every room, stops reading.
6. history: stored messages per second, with our server's history on (peers have none).
7. Redis hop (two processes only): latency to a receiver on the sender's process against
   one on the other process, for the same messages.
8. rooms stay local: scenario 2, but every room's members on one process (room r on
   process r mod N): with interest-based routing no process hears another's rooms, so
   CPU per delivery should stay near one process's whatever N.

Against a server that is several processes (``ours-x2``, ``ours-x4``), clients alternate
between the processes (see :func:`bench.plan.assign_ports`; scenario 8 places them by
room) and Redis's own figures are added: its CPU, and its PUBLISH calls, commands and
bytes per message sent.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.costs import cost_figures, redis_figures
from bench.harness import (
    ConnectSummary,
    GeneratorUsage,
    Harness,
    RunSummary,
    ServerUsage,
)
from bench.historydb import HistoryWatcher, count_messages
from bench.plan import ClientSpec
from bench.results import Better, Figure
from bench.stats import percentile, summarize_ns

ROOM_SIZE = 20
#: Clients connecting at once while setting up a scenario that measures something else.
#: ngircd and miniircd listen with a short backlog; more at once overflows it and costs
#: clients SYN retransmissions of seconds, which scenario 3 measures on purpose.
SETUP_CONCURRENCY = 10
#: Clients connecting at once in the connection storm (scenario 3).
STORM_CONCURRENCY = 100
CHAT_RATE_HZ = 2.0
#: Messages each sender of scenario 1 writes at once. 100 made a burst of 0.2 s at full size,
#: a few clock ticks of server CPU: too short to read a ratio from (issue 20).
FANOUT_SENDS = 500


@dataclass(frozen=True)
class Params:
    """Knobs from the command line that shape every scenario."""

    scale: float = 1.0
    clients: int | None = None
    duration_s: float = 10.0
    msg_bytes: int = 64
    seed: int = 1

    def size(self, full: int) -> int:
        """The client count for a scenario whose full size is ``full``."""
        if self.clients is not None:
            return max(2, self.clients)
        return max(2, round(full * self.scale))


Figures = tuple[list[Figure], list[str]]


@dataclass(frozen=True)
class Scenario:
    """A numbered scenario: its title (for the given params) and how to run it."""

    number: int
    title: Callable[[Params], str]
    run: Callable[[Harness, Params], Figures] | None
    #: For a scenario that cannot run yet: the figures to report instead, and why.
    placeholder: Figures | None = None
    #: Whether the server should store history (only ours can).
    history: bool = False
    #: The fewest server processes it needs; servers with fewer are not run (scenario 7).
    processes: int = 1


# -- figures shared by scenarios --------------------------------------------------------------


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def _usage_figures(server: ServerUsage, generator: GeneratorUsage) -> list[Figure]:
    """The server's CPU over the measured phase and its memory; the generator's CPU share."""
    return [
        Figure("server_cpu_s", "server CPU time", _round(server.cpu_s, 3), "s", Better.LOWER),
        Figure(
            "server_rss_mb", "server memory (RSS) after", _mb(server.rss_kb), "MB", Better.LOWER
        ),
        Figure(
            "server_peak_mb", "server peak memory (VmHWM)", _mb(server.hwm_kb), "MB", Better.LOWER
        ),
        Figure(
            "others_cores", "CPU used by other processes", _round(server.others_cores, 2), "cores"
        ),
        Figure(
            "generator_cpu_pct",
            "generator busiest worker CPU",
            round(generator.max_share * 100),
            "%",
        ),
        Figure(
            "generator_cpu_bound", "generator CPU-bound", "yes" if generator.cpu_bound else "no"
        ),
    ]


def _connect_notes(summary: ConnectSummary) -> list[str]:
    if not summary.failures:
        return []
    parts = ", ".join(f"{count} {reason}" for reason, count in sorted(summary.failures.items()))
    return [f"{summary.wanted - len(summary.ready)} of {summary.wanted} clients failed: {parts}"]


def _run_notes(run: RunSummary) -> list[str]:
    notes = []
    if run.disconnects:
        parts = ", ".join(f"{n} {why}" for why, n in sorted(run.disconnects.items()))
        notes.append(f"clients disconnected during the run: {parts}")
    if run.extra:
        notes.append(f"{run.extra} deliveries more than expected")
    if run.duplicates:
        notes.append(f"{run.duplicates} messages arrived twice at sampling receivers")
    if run.samples_dropped:
        notes.append(f"{run.samples_dropped} latency samples over the cap were not kept")
    return notes


def _latency_figures(run: RunSummary) -> list[Figure]:
    summary = summarize_ns(run.latencies_ns)
    if summary is None:
        return [Figure("latency_samples", "latency samples", 0)]
    return [
        Figure("latency_p50_ms", "latency p50", round(summary.p50_ms, 3), "ms", Better.LOWER),
        Figure("latency_p99_ms", "latency p99", round(summary.p99_ms, 3), "ms", Better.LOWER),
        Figure("latency_max_ms", "latency max", round(summary.max_ms, 3), "ms", Better.LOWER),
        Figure("latency_samples", "latency samples", summary.count),
    ]


def _delivery_figures(run: RunSummary) -> list[Figure]:
    return [
        Figure("delivered", "messages delivered", run.received),
        Figure("lost", "messages lost", run.lost, "", Better.LOWER),
    ]


def _chat_specs(
    prefix: str, count: int, rng: random.Random, duration_s: float, active: int | None = None
) -> list[ClientSpec]:
    """People chatting: rooms of 20 in order, one sampling receiver per room.

    The first ``active`` clients (all when None) send :data:`CHAT_RATE_HZ` messages a second
    for ``duration_s`` from a random offset within the first interval.
    """
    interval = 1.0 / CHAT_RATE_HZ
    sends = max(1, round(duration_s * CHAT_RATE_HZ))
    active = count if active is None else active
    return [
        ClientSpec(
            gid=i,
            nick=f"{prefix}n{i}",
            room=f"#{prefix}r{i // ROOM_SIZE}",
            sends=sends if i < active else 0,
            interval_s=interval,
            offset_s=rng.uniform(0.0, interval),
            sample=i % ROOM_SIZE == 0 and i < active,
        )
        for i in range(count)
    ]


def _connect_deadline(count: int) -> float:
    return 30.0 + count / 50.0


# -- the scenarios ----------------------------------------------------------------------------


def fanout(h: Harness, p: Params) -> Figures:
    """Scenario 1: one room, a tenth of it sending :data:`FANOUT_SENDS` messages each,
    flat out."""
    count = p.size(200)
    senders = max(1, count // 10)
    specs = [
        ClientSpec(gid=i, nick=f"b1n{i}", room="#b1", sends=FANOUT_SENDS if i < senders else 0)
        for i in range(count)
    ]
    joined = h.connect(specs, SETUP_CONCURRENCY, 30.0, _connect_deadline(count))
    run = h.run(specs, joined.ready, msg_bytes=p.msg_bytes, quiet_s=3.0, max_extra_s=60.0)
    rate = run.received / run.seconds if run.received else 0.0
    figures = [
        Figure("clients", "clients joined", len(joined.ready)),
        Figure("deliveries_per_s", "deliveries/s", round(rate), "/s", Better.HIGHER),
        *_delivery_figures(run),
        *cost_figures(run),
        *_usage_figures(run.server, run.generator),
        *redis_figures(run),
    ]
    return figures, _connect_notes(joined) + _run_notes(run)


def chatting(h: Harness, p: Params) -> Figures:
    """Scenario 2: rooms of 20, everyone sends 2 messages a second."""
    count = p.size(1000)
    return chatting_on(h, p, _chat_specs("b2", count, random.Random(p.seed), p.duration_s))


def chatting_on(h: Harness, p: Params, specs: list[ClientSpec]) -> Figures:
    """Scenarios 2 and 8: connect ``specs`` (people chatting), run, and draw the figures."""
    count = len(specs)
    joined = h.connect(specs, SETUP_CONCURRENCY, 30.0, _connect_deadline(count))
    run = h.run(specs, joined.ready, msg_bytes=p.msg_bytes, quiet_s=3.0, max_extra_s=30.0)
    figures = [
        Figure("clients", "clients joined", len(joined.ready)),
        Figure("processes", "server processes", len(h.server.pids)),
        *_latency_figures(run),
        Figure("deliveries_per_s", "deliveries/s", round(run.received / run.seconds), "/s"),
        *_delivery_figures(run),
        *cost_figures(run),
        *_usage_figures(run.server, run.generator),
        *redis_figures(run),
    ]
    return figures, _connect_notes(joined) + _run_notes(run)


def local_specs(p: Params) -> list[ClientSpec]:
    """Scenario 8's clients: scenario 2's, room ``r`` wholly on process ``r`` mod N."""
    specs = _chat_specs("b8", p.size(1000), random.Random(p.seed), p.duration_s)
    return [dataclasses.replace(spec, node=spec.gid // ROOM_SIZE) for spec in specs]


def local_rooms(h: Harness, p: Params) -> Figures:
    """Scenario 8: scenario 2 with each room's members all on one process."""
    return chatting_on(h, p, local_specs(p))


def storm(h: Harness, p: Params) -> Figures:
    """Scenario 3: register and join clients, 100 at a time, into rooms of 20."""
    count = p.size(1000)
    specs = [ClientSpec(gid=i, nick=f"b3n{i}", room=f"#b3r{i // ROOM_SIZE}") for i in range(count)]
    joined = h.connect(specs, STORM_CONCURRENCY, 30.0, _connect_deadline(count))
    reg = sorted(joined.register_ns)
    figures = [
        Figure("clients", "clients wanted", count),
        Figure(
            "seconds", "time to register and join all", round(joined.seconds, 3), "s", Better.LOWER
        ),
        Figure("failures", "failures", count - len(joined.ready), "", Better.LOWER),
        Figure(
            "register_p50_ms",
            "one client's join p50",
            round(percentile(reg, 50) / 1e6, 2) if reg else None,
            "ms",
            Better.LOWER,
        ),
        Figure(
            "register_p99_ms",
            "one client's join p99",
            round(percentile(reg, 99) / 1e6, 2) if reg else None,
            "ms",
            Better.LOWER,
        ),
        *_usage_figures(joined.server, joined.generator),
    ]
    return figures, _connect_notes(joined)


def capacity(h: Harness, p: Params) -> Figures:
    """Scenario 4: hold many idle clients, then run scenario 2's rate on a subset."""
    count = p.size(10_000)
    active = min(count, max(2, round(1000 * p.scale)))
    specs = _chat_specs("b4", count, random.Random(p.seed), p.duration_s, active)
    time.sleep(0.5)
    base = h.sample()
    # As many at once as the storm: with 10,000 clients, 10 at a time takes minutes.
    joined = h.connect(specs, STORM_CONCURRENCY, 60.0, _connect_deadline(count))
    time.sleep(1.0)  # let the server finish the joins' replies before reading its memory
    held = h.sample()
    per_client_kb = None
    if joined.ready and base is not None and held is not None:
        per_client_kb = (held.rss_kb - base.rss_kb) / len(joined.ready)
    run = h.run(specs, joined.ready, msg_bytes=p.msg_bytes, quiet_s=3.0, max_extra_s=30.0)
    figures = [
        Figure("clients", "idle clients held", len(joined.ready), "", Better.HIGHER),
        Figure(
            "connect_s",
            "time to connect them all",
            round(joined.seconds, 2) if joined.ready else None,
            "s",
            Better.LOWER,
        ),
        Figure(
            "kb_per_client",
            "server memory per client",
            None if per_client_kb is None else round(per_client_kb, 1),
            "KB",
            Better.LOWER,
        ),
        Figure(
            "rss_held_mb",
            "server RSS holding them",
            None if held is None else _mb(held.rss_kb),
            "MB",
            Better.LOWER,
        ),
        Figure(
            "active", "active subset", sum(1 for s in specs if s.sends and s.gid in joined.ready)
        ),
        *_latency_figures(run),
        *_delivery_figures(run),
        *_usage_figures(run.server, run.generator),
    ]
    return figures, _connect_notes(joined) + _run_notes(run)


#: Scenario 5 chats for at least this long: on loopback the kernel lets a server queue up to
#: 4 MB (net.ipv4.tcp_wmem) in the socket before its own send queue starts to fill.
SLOW_MIN_DURATION_S = 30.0


def slow_duration(p: Params) -> float:
    """Seconds of chatting in scenario 5: ``--duration``, but at least 30 s."""
    return max(p.duration_s, SLOW_MIN_DURATION_S)


def slow_reader(h: Harness, p: Params) -> Figures:
    """Scenario 5: scenario 2 plus one client, in every room, that stops reading.

    Being in every room, the slow reader is owed every message (about 190 KB/s at full
    scale), so a server's send queue for it overflows within seconds, as a real client in
    many busy rooms that hangs would make it.
    """
    count = p.size(1000)
    specs = _chat_specs("b5", count, random.Random(p.seed), slow_duration(p))
    rooms = ",".join(dict.fromkeys(spec.room for spec in specs))
    specs.append(ClientSpec(gid=count, nick=f"b5n{count}", room=rooms, slow=True))
    joined = h.connect(specs, SETUP_CONCURRENCY, 30.0, _connect_deadline(count))
    run = h.run(specs, joined.ready, msg_bytes=p.msg_bytes, quiet_s=3.0, max_extra_s=30.0)
    quit_s, reset_s = run.slow_quit_after_s, run.slow_reset_after_s
    seen = [t for t in (quit_s, reset_s) if t is not None]
    dropped = min(seen) if seen else None
    figures = [
        Figure("clients", "clients joined", len(joined.ready)),
        *_latency_figures(run),
        *_delivery_figures(run),
        Figure("slow_dropped", "slow reader dropped", "yes" if dropped is not None else "no"),
        Figure(
            "slow_dropped_after_s",
            "slow reader dropped after",
            _round(dropped, 1),
            "s",
            Better.LOWER,
        ),
        Figure("slow_closed", "slow reader's socket closed", "yes" if reset_s else "no"),
        *_usage_figures(run.server, run.generator),
    ]
    notes = _connect_notes(joined) + _run_notes(run)
    if count not in joined.ready:
        notes.append("the slow reader itself failed to join")
    elif dropped is None:
        notes.append(
            f"the slow reader was still connected when the run ended ({slow_duration(p):.0f} s "
            "of traffic): the server was still buffering for it (a larger send queue, or "
            "none)"
        )
    elif quit_s is not None and reset_s is None:
        notes.append(
            f"the server announced the slow reader's QUIT after {quit_s:.1f} s but kept its "
            "socket open to the end: a close() that waits to flush to a reader that never "
            "reads (abort() would free it at once)"
        )
    return figures, notes


def history(h: Harness, p: Params) -> Figures:
    """Scenario 6: scenario 1's burst spread over rooms of 20, with history stored.

    Every tenth client sends 500 messages at once. Stored messages per second is the row
    count of the server's ``history.db`` over the time from the first send until the count
    stopped growing (polled every 20 ms from a thread of the bench).
    """
    if not h.server.launcher.has_history:
        return [Figure("stored_per_s", "stored messages/s", "no history")], []
    count = p.size(200)
    specs = [
        ClientSpec(
            gid=i, nick=f"b6n{i}", room=f"#b6r{i // ROOM_SIZE}", sends=500 if i % 10 == 0 else 0
        )
        for i in range(count)
    ]
    joined = h.connect(specs, SETUP_CONCURRENCY, 30.0, _connect_deadline(count))
    watcher = HistoryWatcher(h.server.workdir / "history.db", 300.0)
    before = watcher.count = count_messages(watcher.db) or 0
    watcher.start()
    try:
        run = h.run(specs, joined.ready, msg_bytes=p.msg_bytes, quiet_s=3.0, max_extra_s=60.0)
        watcher.wait_for(before + run.sent, quiet_s=5.0)
    finally:
        watcher.stop()
    stored = watcher.count - before
    first = run.first_send_ns or watcher.grew_at_ns
    seconds = (watcher.grew_at_ns - first) / 1e9 if watcher.grew_at_ns > first else 0.0
    figures = [
        Figure("sent", "messages sent", run.sent),
        Figure("stored", "messages stored", stored),
        Figure(
            "stored_per_s",
            "stored messages/s",
            round(stored / seconds) if seconds else None,
            "/s",
            Better.HIGHER,
        ),
        Figure(
            "deliveries_per_s",
            "deliveries/s",
            round(run.received / run.seconds),
            "/s",
            Better.HIGHER,
        ),
        *_delivery_figures(run),
        *_usage_figures(run.server, run.generator),
    ]
    notes = _connect_notes(joined) + _run_notes(run)
    if stored < run.sent:
        notes.append(f"{run.sent - stored} sent messages were not in history when it settled")
    return figures, notes


#: Labels of scenario 7's two sampling receivers in each room.
SAME, ACROSS = "same", "across"


def hop_specs(count: int, rng: random.Random, duration_s: float) -> list[ClientSpec]:
    """Scenario 7's clients: rooms of 20 alternating between process 1 and process 2.

    In each room the clients at even positions are on process 1 and those at odd ones on
    process 2. The even ones from position 2 send :data:`CHAT_RATE_HZ` messages a second;
    position 0 (process 1, the senders' own) and position 1 (process 2) only listen and
    sample, so both measure the very same messages, and differ only by the Redis hop.
    """
    interval = 1.0 / CHAT_RATE_HZ
    sends = max(1, round(duration_s * CHAT_RATE_HZ))
    specs = []
    for i in range(count):
        position = i % ROOM_SIZE
        specs.append(
            ClientSpec(
                gid=i,
                nick=f"b7n{i}",
                room=f"#b7r{i // ROOM_SIZE}",
                sends=sends if position >= 2 and i % 2 == 0 else 0,
                interval_s=interval,
                offset_s=rng.uniform(0.0, interval),
                sample=position < 2,
                node=position % 2,
                label=(SAME, ACROSS)[position] if position < 2 else "",
            )
        )
    return specs


def _ms(samples_ns: list[int], p: float) -> float | None:
    ordered = sorted(samples_ns)
    return round(percentile(ordered, p) / 1e6, 3) if ordered else None


def _hop_latency_figures(run: RunSummary) -> list[Figure]:
    same, across = run.labelled_ns.get(SAME, []), run.labelled_ns.get(ACROSS, [])
    figures = []
    for p in (50, 99):
        here, there = _ms(same, p), _ms(across, p)
        figures += [
            Figure(f"same_p{p}_ms", f"p{p}, receiver on the sender's process", here, "ms"),
            Figure(f"across_p{p}_ms", f"p{p}, receiver on the other process", there, "ms"),
            Figure(
                f"hop_p{p}_ms",
                f"the Redis hop adds (p{p} - p{p})",
                None if here is None or there is None else round(there - here, 3),
                "ms",
                Better.LOWER,
            ),
        ]
    figures += [
        Figure("same_samples", "samples on the sender's process", len(same)),
        Figure("across_samples", "samples on the other process", len(across)),
    ]
    return figures


def redis_hop(h: Harness, p: Params) -> Figures:
    """Scenario 7: the latency a second process adds, same messages, two receivers.

    Needs a server of two processes (the runner does not run it on others).
    """
    count = hop_size(p)
    specs = hop_specs(count, random.Random(p.seed), p.duration_s)
    joined = h.connect(specs, SETUP_CONCURRENCY, 30.0, _connect_deadline(count))
    run = h.run(specs, joined.ready, msg_bytes=p.msg_bytes, quiet_s=3.0, max_extra_s=30.0)
    figures = [
        Figure("clients", "clients joined", len(joined.ready)),
        *_hop_latency_figures(run),
        *_delivery_figures(run),
        *cost_figures(run),
        *_usage_figures(run.server, run.generator),
        *redis_figures(run),
    ]
    return figures, _connect_notes(joined) + _run_notes(run)


def hop_senders(count: int) -> int:
    """How many of scenario 7's ``count`` clients send (9 in each full room of 20)."""
    return sum(1 for i in range(count) if i % ROOM_SIZE >= 2 and i % 2 == 0)


def hop_size(p: Params) -> int:
    """Scenario 7's client count: 200 at full scale, at least one room."""
    return max(ROOM_SIZE, p.size(200))


SCENARIOS: dict[int, Scenario] = {
    s.number: s
    for s in (
        Scenario(
            1,
            lambda p: (
                f"fan-out flat out ({p.size(200)} clients in one room, "
                f"{max(1, p.size(200) // 10)} send {FANOUT_SENDS} msgs)"
            ),
            fanout,
        ),
        Scenario(
            2,
            lambda p: (
                f"people chatting ({p.size(1000)} clients, rooms of "
                f"{ROOM_SIZE}, 2 msgs/s for {p.duration_s:.0f} s)"
            ),
            chatting,
        ),
        Scenario(3, lambda p: f"connection storm ({p.size(1000)} clients, 100 at a time)", storm),
        Scenario(
            4,
            lambda p: (
                f"capacity ({p.size(10_000)} idle clients, then "
                f"{min(p.size(10_000), max(2, round(1000 * p.scale)))} chatting)"
            ),
            capacity,
        ),
        Scenario(
            5,
            lambda p: (
                f"slow reader (scenario 2 with {p.size(1000)} clients for "
                f"{slow_duration(p):.0f} s + 1 in every room that stops reading)"
            ),
            slow_reader,
        ),
        Scenario(
            6,
            lambda p: (
                f"history ({p.size(200)} clients in rooms of {ROOM_SIZE}, "
                f"{max(1, p.size(200) // 10)} send 500 msgs, stored)"
            ),
            history,
            history=True,
        ),
        Scenario(
            7,
            lambda p: (
                f"Redis hop ({hop_size(p)} clients in rooms of {ROOM_SIZE} alternating between "
                f"2 processes, {hop_senders(hop_size(p))} on one process send 2 msgs/s for "
                f"{p.duration_s:.0f} s; two processes only)"
            ),
            redis_hop,
            processes=2,
        ),
        Scenario(
            8,
            lambda p: (
                f"rooms stay local (scenario 2 with {p.size(1000)} clients, every room's "
                "members on one process)"
            ),
            local_rooms,
        ),
    )
}
