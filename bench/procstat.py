"""CPU time and memory of a process, read from Linux ``/proc``.

``/proc/PID/stat`` gives user and system CPU time in clock ticks (fields 14 and 15, see
proc(5)); ``/proc/PID/status`` gives the resident set (``VmRSS``) and its peak (``VmHWM``) in
kB. Other systems have no ``/proc``: :func:`read_proc` then raises OSError, and the caller
reports the figures as unknown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class ProcSample:
    """One reading of a process: CPU seconds used so far, current and peak RSS in kB."""

    cpu_s: float
    rss_kb: int
    hwm_kb: int


def parse_stat_cpu(stat_text: str) -> float:
    """Return utime + stime in seconds from the text of ``/proc/PID/stat``.

    The command name (field 2) is in parentheses and may hold spaces, so fields are counted
    from the last ``)``: the state (field 3) is then index 0, utime (14) index 11.
    """
    fields = stat_text.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S


def parse_status_kb(status_text: str, key: str) -> int:
    """Return the kB value of ``key`` (e.g. ``"VmHWM"``) in ``/proc/PID/status`` text, else 0."""
    prefix = key + ":"
    for line in status_text.splitlines():
        if line.startswith(prefix):
            return int(line[len(prefix) :].split()[0])
    return 0


def read_proc(pid: int) -> ProcSample:
    """Read CPU time and memory of ``pid``.

    Raises OSError if /proc is absent or the process is gone, ProcessLookupError (an
    OSError) too when it has exited but not yet been reaped (a zombie has no memory).
    """
    base = Path("/proc") / str(pid)
    stat = (base / "stat").read_text()
    if stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"]):
        raise ProcessLookupError(f"process {pid} has exited")
    cpu = parse_stat_cpu(stat)
    status = (base / "status").read_text()
    return ProcSample(
        cpu_s=cpu,
        rss_kb=parse_status_kb(status, "VmRSS"),
        hwm_kb=parse_status_kb(status, "VmHWM"),
    )


def parse_machine_busy(stat_text: str) -> float:
    """Busy CPU seconds of the whole machine from the ``cpu`` line of ``/proc/stat``.

    Busy is everything but idle and iowait (user, nice, system, irq, softirq, steal).
    """
    for line in stat_text.splitlines():
        if line.startswith("cpu "):
            fields = [int(v) for v in line.split()[1:9]]
            user, nice, system, _idle, _iowait, irq, softirq, steal = fields
            return (user + nice + system + irq + softirq + steal) / _TICKS_PER_S
    raise ValueError("no cpu line in /proc/stat")


def read_machine_busy() -> float | None:
    """Busy CPU seconds of the whole machine so far, or None without /proc."""
    try:
        return parse_machine_busy(Path("/proc/stat").read_text())
    except (OSError, ValueError):
        return None
