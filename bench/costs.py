"""Figures for what a run cost: CPU per million deliveries, and what Redis did.

Shared by the scenarios that compare one process with a network of two (2 and 7): the
server's CPU is summed over its processes, and Redis's CPU and counters (read before and
after the run, see :mod:`bench.redisproc`) are added for a network.
"""

from __future__ import annotations

from bench.harness import RunSummary
from bench.results import Better, Figure


def per_m(cpu_s: float | None, deliveries: int) -> float | None:
    """CPU seconds per million deliveries (None when unknown or nothing was delivered)."""
    if cpu_s is None or not deliveries:
        return None
    return round(cpu_s / deliveries * 1e6, 3)


def cost_figures(run: RunSummary) -> list[Figure]:
    """CPU per million deliveries: the server's processes, then with Redis's CPU added.

    For one process both are the same figure, so that the ratio of the second between a
    network and one process is the whole cost of scaling out.
    """
    redis = run.server.redis
    cpu = run.server.cpu_s
    total = None if cpu is None else cpu + (redis.cpu_s if redis is not None else 0.0)
    return [
        Figure(
            "server_cpu_s_per_m",
            "server CPU per M deliveries",
            per_m(cpu, run.received),
            "s",
            Better.LOWER,
        ),
        Figure(
            "total_cpu_s_per_m",
            "server + Redis CPU per M deliveries",
            per_m(total, run.received),
            "s",
            Better.LOWER,
        ),
    ]


def redis_figures(run: RunSummary) -> list[Figure]:
    """What Redis did over a run, per message sent: none for a one-process server.

    PUBLISH calls per message is 1 when each channel message is published once for all
    processes (issue 9), and would be the number of remote recipients if it were published
    per recipient. EVAL calls are mostly the heartbeat re-claiming every local nick each
    second, so they grow with users, not with messages.
    """
    redis = run.server.redis
    if redis is None:
        return []
    sent = run.sent
    return [
        Figure("redis_cpu_s", "Redis CPU time", round(redis.cpu_s, 3), "s", Better.LOWER),
        Figure("redis_commands", "Redis commands", redis.commands),
        Figure(
            "redis_publish_per_msg",
            "Redis PUBLISH per message sent",
            round(redis.publishes / sent, 3) if sent else None,
        ),
        Figure(
            "redis_commands_per_msg",
            "Redis commands per message sent",
            round(redis.commands / sent, 3) if sent else None,
            "",
            Better.LOWER,
        ),
        Figure("redis_evals", "Redis EVAL calls (nick heartbeat)", redis.evals),
        Figure(
            "redis_bytes_per_msg",
            "Redis bytes in + out per message",
            round((redis.in_bytes + redis.out_bytes) / sent) if sent else None,
            "B",
            Better.LOWER,
        ),
        # Apart: in is the publishes (each once), out the deliveries (once per process
        # hearing it), so the two move differently as processes are added.
        Figure(
            "redis_bytes_in_per_msg",
            "Redis bytes in per message (commands)",
            round(redis.in_bytes / sent) if sent else None,
            "B",
            Better.LOWER,
        ),
        Figure(
            "redis_bytes_out_per_msg",
            "Redis bytes out per message (replies, deliveries)",
            round(redis.out_bytes / sent) if sent else None,
            "B",
            Better.LOWER,
        ),
    ]
