"""Fixtures for the terminal client tests: clients on a pty, killed at teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from support.pty import PtyClient


@pytest.fixture
def spawn() -> Iterator[Callable[..., PtyClient]]:
    """Start ``chatroom client`` with the given arguments on a pty."""
    started: list[PtyClient] = []

    def start(*args: str, env: dict[str, str] | None = None) -> PtyClient:
        client = PtyClient(*args, env=env)
        started.append(client)
        return client

    yield start
    for client in started:
        client.kill()
