"""A real two-process network in the bench: our server twice, joined through a throwaway
redis-server, driven at tiny size. Skipped, with the reason, without redis-server.

Checks that the network forms, that a client on one port hears one on the other, and
that scenarios 2 and 7 deliver everything and count one PUBLISH per message; never
asserts on speed.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from bench import servers
from bench.network import RunningNetwork
from bench.runner import run_all
from bench.scenarios import Params
from bench.servers import HOST, LAUNCHERS, OursClusterLauncher
from support.timeouts import TIMEOUT


@pytest.fixture
def cluster_launcher() -> OursClusterLauncher:
    launcher = LAUNCHERS["ours-x2"]
    assert isinstance(launcher, OursClusterLauncher)
    reason = launcher.unavailable()
    if reason is not None:
        pytest.skip(reason)
    return launcher


def _lines_until(sock: socket.socket, needle: bytes) -> bytes:
    data = b""
    while needle not in data:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed before {needle!r}; got {data!r}"
        data += chunk
    return data


def _join(port: int, nick: str) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
    sock.sendall(b"NICK %s\r\nUSER %s 0 * :t\r\nJOIN #hop\r\n" % (nick.encode(), nick.encode()))
    _lines_until(sock, b" 366 ")
    return sock


@pytest.mark.timeout(120)
def test_two_ports_are_two_processes_of_one_network(
    cluster_launcher: OursClusterLauncher,
) -> None:
    assert "Redis" in cluster_launcher.version()
    with RunningNetwork(cluster_launcher) as network:
        assert len(set(network.ports)) == len(set(network.pids)) == 2
        assert network.redis is not None
        before = network.redis.counters()
        one, two = _join(network.ports[0], "one"), _join(network.ports[1], "two")
        with one, two:
            # "one" sees "two" join from the other process, and "two" hears "one".
            assert b"JOIN" in _lines_until(one, b":two!")
            one.sendall(b"PRIVMSG #hop :across\r\n")
            assert b":one!" in _lines_until(two, b" PRIVMSG #hop ")
        after = network.redis.counters()
        assert before is not None and after is not None
        assert after.since(before).publishes >= 1
    assert network.redis is None and not network.alive()


@pytest.mark.timeout(240)
def test_tiny_chat_and_hop_over_two_processes(cluster_launcher: OursClusterLauncher) -> None:
    outcome = run_all(
        ["ours-x2"],
        [2, 7],
        Params(clients=20, duration_s=1.0),
        workers=1,
        progress=lambda _: None,
    )
    chat, hop = outcome.results
    assert chat.error is None, chat.error
    assert hop.error is None, hop.error
    assert chat.value("processes") == 2
    assert chat.value("clients") == 20
    # 20 clients in one room, 2 messages each: everyone hears the 19 others.
    assert chat.value("delivered") == 20 * 19 * 2
    assert chat.value("lost") == 0
    # About one publish per message, not one per recipient (that would be about 10
    # here): messages of one loop turn for one room share a publish, and each
    # process's heartbeat self-check adds one a second when it heard nothing else,
    # a few against this run's 40 messages.
    per_msg = chat.value("redis_publish_per_msg")
    assert isinstance(per_msg, float) and 0.5 <= per_msg < 1.5
    redis_cpu = chat.value("redis_cpu_s")
    assert isinstance(redis_cpu, float) and redis_cpu >= 0
    # Scenario 7: 9 senders, 2 messages each; both receivers measured every one of them.
    assert hop.value("lost") == 0
    assert hop.value("same_samples") == hop.value("across_samples") == 18
    assert isinstance(hop.value("hop_p50_ms"), float)
    hop_per_msg = hop.value("redis_publish_per_msg")
    assert isinstance(hop_per_msg, float) and 0.5 <= hop_per_msg < 1.5  # 18 messages


@pytest.mark.timeout(120)
def test_the_unix_kind_reaches_redis_over_its_socket() -> None:
    launcher = LAUNCHERS["ours-x2-unix"]
    assert isinstance(launcher, OursClusterLauncher) and launcher.unix
    reason = launcher.unavailable()
    if reason is not None:
        pytest.skip(reason)
    with RunningNetwork(launcher) as network:
        assert network.redis is not None and network.redis.socket is not None
        assert network.redis.url == f"unix://{network.redis.socket}?db=0"
        before = network.redis.counters()
        one, two = _join(network.ports[0], "one"), _join(network.ports[1], "two")
        with one, two:
            _lines_until(one, b":two!")
            one.sendall(b"PRIVMSG #hop :through the socket\r\n")
            assert b"through the socket" in _lines_until(two, b" PRIVMSG #hop ")
        after = network.redis.counters()
        assert before is not None and after is not None
        assert after.since(before).publishes >= 1
        # Every connection of the servers is on the socket (Redis names its path as
        # the local address); only this query comes over TCP.
        with socket.create_connection((HOST, network.redis.port), timeout=TIMEOUT) as sock:
            sock.sendall(b"CLIENT LIST\r\n")
            listing = _lines_until(sock, b"cmd=client").decode()
        local = [part for part in listing.split() if part.startswith("laddr=")]
        on_socket = [a for a in local if a.startswith(f"laddr={network.redis.socket}")]
        assert len(on_socket) >= 4 and len(local) - len(on_socket) == 1, listing


@pytest.mark.timeout(240)
def test_rooms_stay_local_over_four_processes(cluster_launcher: OursClusterLauncher) -> None:
    """Scenario 8 on ours-x4: each room on one process; everything is delivered and
    no message crosses Redis (only heartbeats and joins do)."""
    outcome = run_all(
        ["ours-x4"], [8], Params(clients=40, duration_s=1.0), workers=1, progress=lambda _: None
    )
    (local,) = outcome.results
    assert local.error is None, local.error
    assert local.value("processes") == 4
    assert local.value("delivered") == 40 * 19 * 2
    assert local.value("lost") == 0
    per_msg = local.value("redis_publish_per_msg")
    assert isinstance(per_msg, float) and per_msg < 0.5, per_msg


def test_before_runs_the_source_tree_named_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(servers.BEFORE_ENV, raising=False)
    assert "CHATROOM_BENCH_BEFORE" in (servers.launcher("before:ours-x2").unavailable() or "")
    (tmp_path / "chatroom").mkdir()
    monkeypatch.setenv(servers.BEFORE_ENV, str(tmp_path))
    before = servers.launcher("before:ours-x2")
    assert isinstance(before, OursClusterLauncher) and before.processes == 2
    assert before.name == "before:ours-x2" and before.src == tmp_path
    member = before.member("redis://127.0.0.1:1/0")
    _argv, env = member.command(1, tmp_path, False)
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(tmp_path)
    assert servers.launcher("ours-x2") is LAUNCHERS["ours-x2"]


def test_profiling_runs_our_server_under_cprofile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(servers.PROFILE_ENV, str(tmp_path))
    argv, _env = servers.launcher("before:ours").command(7, tmp_path, False)
    assert argv[1:5] == ["-m", "cProfile", "-o", str(tmp_path / "before-ours-7.prof")]
    assert argv[5:7] == ["-m", "chatroom"]
    monkeypatch.delenv(servers.PROFILE_ENV)
    assert "cProfile" not in LAUNCHERS["ours"].command(7, tmp_path, False)[0]


def test_without_redis_the_kind_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    why = "redis-server is not installed (Debian: apt-get install redis-server)"
    monkeypatch.setattr(servers, "find_redis", lambda: (None, why))
    said: list[str] = []
    outcome = run_all(["ours-x2"], [2], Params(clients=2), workers=1, progress=said.append)
    assert outcome.servers[0].skipped == why
    assert outcome.results == []
    assert said == [f"skipping ours-x2: {why}"]
