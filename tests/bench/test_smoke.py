"""One tiny real run per server: 5 clients in one room, one sends a burst to the others.

Checks that the generator registers, joins, sends and counts against real servers; never
asserts on speed. Skipped, with the reason, for a server that is not installed here.
"""

from __future__ import annotations

import pytest

from bench.runner import run_all
from bench.scenarios import FANOUT_SENDS, Params
from bench.servers import LAUNCHERS


@pytest.mark.timeout(60)
@pytest.mark.parametrize("server", ["ngircd", "ours"])
def test_tiny_fanout(server: str) -> None:
    reason = LAUNCHERS[server].unavailable()
    if reason is not None:
        pytest.skip(reason)
    outcome = run_all([server], [1], Params(clients=5), workers=1, progress=lambda _: None)
    (result,) = outcome.results
    assert result.error is None, result.error
    assert result.value("clients") == 5
    # One sender writes FANOUT_SENDS messages; each of the 4 others receives all of them.
    assert result.value("delivered") == 4 * FANOUT_SENDS == 2000
    assert result.value("lost") == 0
    server_cpu = result.value("server_cpu_s")
    assert isinstance(server_cpu, float) and server_cpu >= 0
