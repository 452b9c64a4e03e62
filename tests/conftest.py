"""Shared fixtures: a real chatroom server in a subprocess (see ``support.server``).

Set CHATROOM_TEST_SLOWDOWN=3 on a slow machine to triple every timeout (``support.timeouts``).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server import RunningServer, ServerFactory, start_server


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start servers with ``server_factory(*flags, config=TOML)``; all stop at teardown."""
    started: list[RunningServer] = []

    def factory(*args: str, **kwargs: object) -> RunningServer:
        server = start_server(tmp_path, *args, **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop(signal.SIGKILL if server.proc.poll() is None else signal.SIGTERM)


@pytest.fixture
def server(server_factory: ServerFactory) -> RunningServer:
    """A server with default settings but flood control off (tests send fast)."""
    return server_factory("--no-flood-control")
