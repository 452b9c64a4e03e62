"""Fixtures of the integration tests: Redis servers for the scale-out tests, and two
processes of one network (see ``support.redis`` and ``support.server``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.redis import RedisServer, running_redis
from support.server import RunningServer, ServerFactory, cluster_member


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """A redis-server for this test only, which it may pause, resume or freeze."""
    with running_redis() as server:
        yield server


@pytest.fixture(scope="module")
def shared_redis() -> Iterator[RedisServer]:
    """One redis-server for the tests of a module that leave it running (each uses
    nicks and channels of its own)."""
    with running_redis() as server:
        yield server


@pytest.fixture
def pair(
    server_factory: ServerFactory, shared_redis: RedisServer
) -> tuple[RunningServer, RunningServer]:
    """Two processes of one network, on the module's Redis."""
    first = cluster_member(server_factory, shared_redis.url)
    return first, cluster_member(server_factory, shared_redis.url)
