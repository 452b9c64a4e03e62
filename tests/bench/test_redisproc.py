"""Reading Redis's INFO: the counters the two-process figures come from (no Redis here)."""

from __future__ import annotations

from bench.redisproc import RedisCounters, command_calls, parse_info

INFO = """# Stats\r
total_connections_received:7\r
total_commands_processed:1500\r
total_net_input_bytes:90000\r
total_net_output_bytes:120000\r
\r
# Commandstats\r
cmdstat_publish:calls=400,usec=800,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r
cmdstat_eval:calls=90,usec=900,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r
cmdstat_evalsha:calls=10,usec=50,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r
"""


def test_parse_info_skips_sections_and_blanks() -> None:
    info = parse_info(INFO)
    assert info["total_commands_processed"] == "1500"
    assert not any(key.startswith("#") or not key for key in info)


def test_command_calls() -> None:
    info = parse_info(INFO)
    assert command_calls(info, "publish") == 400
    assert command_calls(info, "hset") == 0


def test_counters_and_their_growth() -> None:
    before = RedisCounters(1.0, 1000, 100, 50, 40000, 60000)
    after = RedisCounters.of(parse_info(INFO), cpu_s=1.25)
    assert after.publishes == 400 and after.evals == 100
    grown = after.since(before)
    assert grown == RedisCounters(0.25, 500, 300, 50, 50000, 60000)
