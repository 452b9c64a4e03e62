"""Reading CPU time and memory from /proc."""

from __future__ import annotations

import os
import sys

import pytest

from bench import procstat


def test_stat_with_spaces_and_parentheses_in_the_name() -> None:
    fields = ["S"] + ["0"] * 10 + ["250", "50"] + ["0"] * 30
    text = "1234 (a (weird) name) " + " ".join(fields)
    ticks = procstat._TICKS_PER_S
    assert procstat.parse_stat_cpu(text) == pytest.approx(300 / ticks)


def test_status_keys() -> None:
    text = "Name:\tngircd\nVmHWM:\t    8192 kB\nVmRSS:\t    4096 kB\n"
    assert procstat.parse_status_kb(text, "VmHWM") == 8192
    assert procstat.parse_status_kb(text, "VmRSS") == 4096
    assert procstat.parse_status_kb(text, "VmSwap") == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_reads_this_process() -> None:
    sample = procstat.read_proc(os.getpid())
    assert sample.rss_kb > 0
    assert sample.hwm_kb >= sample.rss_kb
    assert sample.cpu_s >= 0


def test_machine_busy_excludes_idle_and_iowait() -> None:
    text = "cpu  100 10 50 9999 500 5 5 30 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"
    ticks = procstat._TICKS_PER_S
    assert procstat.parse_machine_busy(text) == pytest.approx(200 / ticks)


def test_machine_busy_without_a_cpu_line() -> None:
    with pytest.raises(ValueError):
        procstat.parse_machine_busy("intr 1 2 3\n")
