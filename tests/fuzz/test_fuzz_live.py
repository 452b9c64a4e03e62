"""Fuzz a live server over a socket: whatever a client sends, the server's log shows
no traceback and no reply says INTERNAL_ERROR (issue 14: "a test runs the fuzz
generator against a live server and greps the log")."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.irc_client import IrcClient
from support.irc_lines import irc_line
from support.server import RunningServer

# QUIT would end the connection the rest of the run needs.
_line = irc_line.filter(lambda data: not data.upper().startswith(b"QUIT"))


def test_no_traceback_in_the_log_for_any_line(server: RunningServer) -> None:
    alice = IrcClient(server.port).register("alice", "message-tags batch labeled-response")
    alice.join("#lobby")
    IrcClient(server.port).register("bob").join("#lobby")
    newcomer = IrcClient(server.port)
    newcomer.send("CAP LS 302")  # stays unregistered unless a fuzzed line ends it
    newcomer.expect("CAP")
    received: list[str] = []
    sync = itertools.count()

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(lines=st.lists(_line, min_size=1, max_size=6))
    def send(lines: list[bytes]) -> None:
        for client in (newcomer, alice):
            client.send_raw(b"".join(lines))
            token = f"sync{next(sync)}"
            client.send(f"PING {token}")
            client.expect("PONG", lambda line, token=token: line.params[-1] == token)
            received.extend(line.format() for line in client._consumed)

    send()
    assert "Traceback" not in server.log
    assert [line for line in received if "INTERNAL_ERROR" in line] == []
