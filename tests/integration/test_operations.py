"""The operator's endpoints over real sockets: a Prometheus scrape during traffic, and
``/readyz`` through each failure (history unwritable, Redis down)."""

from __future__ import annotations

import http.client
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.irc_client import IrcClient
from support.redis import RedisServer, running_redis
from support.server import RunningServer, ServerFactory
from support.timeouts import TIMEOUT, eventually


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``(status, content type, body)`` of a GET to the web port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers["Content-Type"], response.read().decode()
    finally:
        conn.close()


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``, read by the library's own parser."""
    status, kind, text = get(port, "/metrics")
    assert status == 200 and kind.startswith("text/plain"), (status, text)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def ready(port: int) -> tuple[int, dict[str, object]]:
    status, kind, body = get(port, "/readyz")
    assert kind == "application/json"
    return status, json.loads(body)


def test_a_scrape_during_traffic_shows_the_counters_move(server: RunningServer) -> None:
    before = scrape(server.web_port)
    assert before[("chatroom_clients", (("transport", "tcp"),))] == 0
    alice = IrcClient(server.port).register("alice")
    bob = IrcClient(server.port).register("bob")
    carol = IrcClient(server.port).register("carol")
    for user in (alice, bob, carol):
        user.join("#ops")
    for user in (alice, bob, carol):
        user.collect(0.2)
    for i in range(5):
        alice.send(f"PRIVMSG #ops :message {i}")
    for user in (bob, carol):
        user.expect("PRIVMSG", lambda line: line.params[1] == "message 4")

    during = scrape(server.web_port)
    assert during[("chatroom_clients", (("transport", "tcp"),))] == 3
    assert during[("chatroom_users", ())] == 3
    assert during[("chatroom_registrations_total", ())] == 3
    assert during[("chatroom_messages_relayed_total", ())] == 5
    assert during[("chatroom_message_deliveries_total", ())] == 10  # to bob and to carol
    assert during[("chatroom_history_rows_written_total", ())] == 5
    assert during[("chatroom_history_write_seconds_count", ())] == 5
    assert during[("chatroom_history_queue", ())] == 0
    assert during[("chatroom_history_writable", ())] == 1
    assert ("chatroom_channels", ()) in during  # #lobby and #ops, at least
    assert ("chatroom_event_loop_lag_seconds", ()) in during
    assert ("process_resident_memory_bytes", ()) in during
    assert not any(name.startswith("chatroom_redis") for name, _ in during)  # no --cluster

    bob.close()
    eventually(
        lambda: scrape(server.web_port)[("chatroom_clients", (("transport", "tcp"),))] == 2,
        lambda: scrape(server.web_port),
    )
    status, _, body = get(server.web_port, "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert ready(server.web_port) == (
        200,
        {"status": "ready", "checks": {"listeners": "ok", "history": "ok", "redis": "off"}},
    )


def test_metrics_are_refused_to_whom_a_proxy_relays(server: RunningServer) -> None:
    # A proxy on this machine that is not a trusted proxy: who is behind it is unknown.
    status, _, _ = get(server.web_port, "/metrics", {"X-Forwarded-For": "203.0.113.9"})
    assert status == 403
    assert get(server.web_port, "/healthz", {"X-Forwarded-For": "203.0.113.9"})[0] == 200


def test_ready_while_history_is_unwritable(server: RunningServer, tmp_path: Path) -> None:
    alice = IrcClient(server.port).register("alice")
    alice.join("#ops")
    assert ready(server.web_port)[0] == 200
    # Another process holds the write lock of the history database: our writes fail
    # (after the busy timeout), as on a full disk, until it lets go.
    holder = sqlite3.connect(tmp_path / "data" / "history.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        alice.send("PRIVMSG #ops :this one cannot be stored")
        alice.expect("FAIL", lambda line: line.params[1] == "TEMPORARILY_UNAVAILABLE")
        status, body = ready(server.web_port)
        assert status == 503
        assert body == {
            "status": "not ready",
            "checks": {"listeners": "ok", "history": "unwritable", "redis": "off"},
        }
        assert scrape(server.web_port)[("chatroom_history_writable", ())] == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    eventually(lambda: ready(server.web_port)[0] == 200, lambda: ready(server.web_port))


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


def test_ready_while_redis_is_down(server_factory: ServerFactory, redis: RedisServer) -> None:
    server = server_factory("--no-flood-control", "--cluster", redis.url)
    alice = IrcClient(server.port).register("alice")
    alice.join("#ops")
    assert ready(server.web_port)[1]["checks"] == {
        "listeners": "ok",
        "history": "ok",
        "redis": "ok",
    }
    alice.send("PRIVMSG #ops :published")
    alice.collect(0.2)
    eventually(
        lambda: scrape(server.web_port)[("chatroom_redis_published_total", ())] > 0,
        lambda: scrape(server.web_port),
    )
    assert scrape(server.web_port)[("chatroom_redis_up", ())] == 1

    redis.pause()
    eventually(lambda: ready(server.web_port)[0] == 503, lambda: ready(server.web_port))
    assert ready(server.web_port)[1]["checks"] == {
        "listeners": "ok",
        "history": "ok",
        "redis": "unreachable",
    }
    assert scrape(server.web_port)[("chatroom_redis_up", ())] == 0
    redis.resume()
    eventually(lambda: ready(server.web_port)[0] == 200, lambda: ready(server.web_port))
