"""/healthz, /readyz and /metrics without sockets: the codes, the bodies, who may scrape."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from websockets.datastructures import Headers
from websockets.http11 import Request

from chatroom.server.addresses import parse_networks
from chatroom.web.operations import Operations
from support.core import Harness


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    made = Harness()
    yield made
    await made.close()


def request(path: str, **headers: str) -> Request:
    return Request(path, Headers({k.replace("_", "-"): v for k, v in headers.items()}))


def status(ops: Operations, path: str, peer: str = "127.0.0.1", **headers: str) -> int:
    response = ops.answer(peer, request(path, **headers), None)
    assert response is not None
    return response.status_code


async def test_other_paths_are_not_ours(harness: Harness) -> None:
    assert Operations(harness.server).answer("127.0.0.1", request("/"), None) is None


async def test_readiness_names_each_failure(harness: Harness) -> None:
    listening = [True]
    ops = Operations(harness.server, listening=lambda: listening[0])
    assert status(ops, "/readyz") == 200
    assert harness.history is not None
    harness.history.fail_writes = True
    harness.server.metrics.network_reachable = False
    listening[0] = False
    response = ops.answer("10.1.1.1", request("/readyz"), None)
    assert response is not None and response.status_code == 503
    assert json.loads(response.body) == {
        "status": "not ready",
        "checks": {"listeners": "closed", "history": "unwritable", "redis": "unreachable"},
    }
    assert status(ops, "/healthz") == 200  # alive all the same


async def test_who_may_scrape(harness: Harness) -> None:
    ops = Operations(
        harness.server,
        metrics_allow=["10.0.0.0/8"],
        proxies=parse_networks(["192.0.2.1"]),
    )
    assert status(ops, "/metrics", "::1") == 200
    assert status(ops, "/metrics", "10.2.3.4") == 200
    assert status(ops, "/metrics", "203.0.113.5") == 403
    # Through the trusted proxy: judged by the client it names.
    assert status(ops, "/metrics", "192.0.2.1", X_Forwarded_For="10.9.9.9") == 200
    assert status(ops, "/metrics", "192.0.2.1", X_Forwarded_For="203.0.113.5") == 403
    # Through a proxy on this machine that is not trusted: unknown, refused.
    assert status(ops, "/metrics", "127.0.0.1", X_Forwarded_For="10.9.9.9") == 403
    assert status(ops, "/metrics", "127.0.0.1", Forwarded="for=10.9.9.9") == 403
    # The probes answer anyone.
    assert status(ops, "/healthz", "203.0.113.5") == 200


async def test_only_get_and_head(harness: Harness) -> None:
    ops = Operations(harness.server)
    post = request("/metrics")
    post.method = "POST"  # type: ignore[attr-defined]
    response = ops.answer("127.0.0.1", post, None)
    assert response is not None and response.status_code == 405
    head = request("/healthz")
    head.method = "HEAD"  # type: ignore[attr-defined]
    response = ops.answer("127.0.0.1", head, None)
    assert response is not None and response.status_code == 200 and response.body == b""
