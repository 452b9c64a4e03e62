"""A throwaway Redis Cluster for the tests: 3 masters and 3 replicas on 127.0.0.1.

:func:`running_redis_cluster` starts six ``redis-server --cluster-enabled yes`` in a
temporary directory (no persistence), joins them with ``redis-cli --cluster create
… --cluster-replicas 1``, waits for ``cluster_state:ok`` on every node, and stops
them all at the end. :meth:`RedisCluster.kill_master` kills one master with SIGKILL
and :meth:`RedisCluster.wait_for_failover` waits until its replica took over
(every replica has synced with its master before the fixture is handed out).
"""

from __future__ import annotations

import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis.crc import key_slot

from support.redis import find_redis
from support.timeouts import TIMEOUT

NODES = 6


class RedisCluster:
    """Six ``redis-server`` nodes forming one cluster; :meth:`stop` ends them."""

    def __init__(self, binary: str, cli: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="chatroom-redis-cluster-"))
        self.cli = cli
        self.ports = _cluster_ports(NODES)
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        for port in self.ports:
            node_dir = self.dir / str(port)
            node_dir.mkdir()
            # The cluster decides a failover after node-timeout ms without an answer.
            self.procs[port] = subprocess.Popen(
                [
                    binary,
                    "--port", str(port),
                    "--bind", "127.0.0.1",
                    "--dir", str(node_dir),
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "1000",
                    "--appendonly", "no",
                    "--save", "",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        for port in self.ports:
            self._wait(lambda p=port: self.ask(p, "PING") == "PONG", f"node {port} did not start")
        seeds = [f"127.0.0.1:{port}" for port in self.ports]
        subprocess.run(
            [cli, "--cluster", "create", *seeds, "--cluster-replicas", "1", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=TIMEOUT * 2,
        )
        for port in self.ports:
            self._wait(lambda p=port: self.state_ok(p), f"node {port} never saw the cluster ok")
        # A replica that has not synced with its master yet cannot replace it.
        for port in self.ports:
            self._wait(lambda p=port: self._synced(p), f"replica {port} never synced")

    def _synced(self, port: int) -> bool:
        info = self.ask(port, "INFO", "replication")
        return "role:master" in info or "master_link_status:up" in info

    def ask(self, port: int, *command: str) -> str:
        """One command to node ``port`` with ``redis-cli``; its answer, or '' if none."""
        done = subprocess.run(
            [self.cli, "-h", "127.0.0.1", "-p", str(port), *command],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        return done.stdout.strip()

    def state_ok(self, port: int) -> bool:
        return "cluster_state:ok" in self.ask(port, "CLUSTER", "INFO")

    def masters(self) -> list[int]:
        """The ports of the live masters, as a live node sees them."""
        alive = [port for port in self.ports if self.procs[port].poll() is None]
        found = []
        for line in self.ask(alive[0], "CLUSTER", "NODES").splitlines():
            fields = line.split()
            if "master" in fields[2] and "fail" not in fields[2]:
                found.append(int(fields[1].split("@")[0].rsplit(":", 1)[1]))
        return sorted(found)

    def master_of(self, key: str) -> int:
        """The port of the live master that holds ``key``'s slot."""
        slot = key_slot(key.encode())
        alive = [port for port in self.ports if self.procs[port].poll() is None]
        for line in self.ask(alive[0], "CLUSTER", "NODES").splitlines():
            fields = line.split()
            if "master" not in fields[2] or "fail" in fields[2]:
                continue
            for span in fields[8:]:
                first, _, last = span.partition("-")
                if first.isdigit() and int(first) <= slot <= int(last or first):
                    return int(fields[1].split("@")[0].rsplit(":", 1)[1])
        raise LookupError(f"no live master holds slot {slot}")

    @property
    def url(self) -> str:
        """``redis+cluster://`` with every node as a seed."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def kill_master(self, port: int) -> None:
        """SIGKILL the master on ``port`` (no goodbye: its replica must notice)."""
        self.procs[port].send_signal(signal.SIGKILL)
        self.procs[port].wait()

    def wait_for_failover(self, killed: int) -> None:
        """Until a replica replaced ``killed`` and every live node says ``ok``."""
        alive = [port for port in self.ports if self.procs[port].poll() is None]

        def healed() -> bool:
            return (
                len(self.masters()) == 3
                and killed not in self.masters()
                and all(self.state_ok(p) for p in alive)
            )

        try:
            self._wait(healed, f"no replica took over from {killed}")
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{self.ask(alive[0], 'CLUSTER', 'NODES')}") from None

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _wait(done: object, why: str) -> None:
        assert callable(done)
        deadline = time.monotonic() + TIMEOUT * 2
        while not done():
            if time.monotonic() > deadline:
                raise RuntimeError(why)
            time.sleep(0.1)


def _cluster_ports(count: int) -> list[int]:
    """``count`` ports whose cluster bus port (port + 10000) is free too: Redis
    refuses ports over 55535, so the system's ephemeral ports will not do."""
    found: list[int] = []
    while len(found) < count:
        port = random.randrange(20000, 45000)
        if port in found or port + 10000 in found or port - 10000 in found:
            continue
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        found.append(port)
    return found


@contextmanager
def running_redis_cluster() -> Iterator[RedisCluster]:
    """A throwaway :class:`RedisCluster` for a fixture, stopped at the end; skips the
    test (with the reason) when ``redis-server`` or ``redis-cli`` is missing."""
    binary, why = find_redis()
    cli = shutil.which("redis-cli")
    if binary is None or cli is None:
        pytest.skip(why or "redis-cli is not installed (apt-get install redis-tools)")
    cluster = RedisCluster(binary, cli)
    try:
        yield cluster
    finally:
        cluster.stop()
