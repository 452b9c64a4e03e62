"""The server under test as the harness sees it: one process, or a network of several.

:func:`start` gives a :class:`RunningServer` for a one-process launcher, and a
:class:`RunningNetwork` for a launcher with ``processes > 1``: a throwaway Redis, then that
many of our servers joined to it with ``--cluster``, each on its own port. Both answer the
:class:`ServerUnderTest` protocol, so scenarios and the harness need not know which one
they drive: clients go to :attr:`~ServerUnderTest.ports` (see
:func:`bench.plan.assign_ports`), and the server's CPU and memory are the sums over
:attr:`~ServerUnderTest.pids`. Redis is reported on its own (:attr:`~ServerUnderTest.redis`):
its CPU is part of what scaling out costs.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import TracebackType
from typing import Protocol

from bench.redisproc import RedisProcess, find_redis
from bench.servers import (
    START_TIMEOUT_S,
    Launcher,
    OursClusterLauncher,
    RunningServer,
    ServerStartError,
    free_port,
)


class ServerUnderTest(Protocol):
    """What the harness and the scenarios use of a running server (or network)."""

    launcher: Launcher

    @property
    def ports(self) -> tuple[int, ...]:
        """Ports to spread clients over (one per process)."""
        ...

    @property
    def pids(self) -> tuple[int, ...]:
        """The server processes, whose CPU and memory are summed."""
        ...

    @property
    def workdir(self) -> Path:
        """The (first) server's temporary directory."""
        ...

    @property
    def redis(self) -> RedisProcess | None:
        """The Redis joining the processes, or None for one process."""
        ...

    def alive(self) -> bool:
        """True while every server process runs."""
        ...

    def log_tail(self, lines: int = 3) -> str:
        """The last lines of the servers' output, for error messages."""
        ...


class RunningNetwork:
    """A throwaway Redis and ``launcher.processes`` servers joined to it; stopped on exit.

    The processes are started one after the other, each waited for until it listens, so
    every process has joined the network (read the snapshot) before clients arrive.
    """

    def __init__(
        self, launcher: OursClusterLauncher, start_timeout_s: float = START_TIMEOUT_S
    ) -> None:
        self.launcher: Launcher = launcher
        self._cluster = launcher
        self.start_timeout_s = start_timeout_s
        self.members: list[RunningServer] = []
        self._redis: RedisProcess | None = None

    @property
    def redis(self) -> RedisProcess | None:
        """The network's Redis; only inside the ``with`` block."""
        return self._redis

    @property
    def ports(self) -> tuple[int, ...]:
        """One port per process, in start order."""
        return tuple(member.port for member in self.members)

    @property
    def pids(self) -> tuple[int, ...]:
        """One pid per process, in start order."""
        return tuple(member.pid for member in self.members)

    @property
    def workdir(self) -> Path:
        """The first process's temporary directory."""
        return self.members[0].workdir

    def __enter__(self) -> RunningNetwork:
        binary, why = find_redis()
        if binary is None:
            raise ServerStartError(why)
        try:
            self._redis = RedisProcess(binary, free_port(), unix=self._cluster.unix).__enter__()
        except OSError as exc:
            raise ServerStartError(f"redis-server: {exc}") from exc
        try:
            member = self._cluster.member(self._redis.url)
            for _ in range(self._cluster.processes):
                server = RunningServer(member, start_timeout_s=self.start_timeout_s)
                self.members.append(server)
                server.__enter__()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def alive(self) -> bool:
        """True while every process runs."""
        return bool(self.members) and all(member.alive() for member in self.members)

    def log_tail(self, lines: int = 3) -> str:
        """The last lines of each process's output, marked with its number."""
        tails = [f"[{i}] {m.log_tail(lines)}" for i, m in enumerate(self.members) if m.log_tail()]
        return " || ".join(tails)

    def stop(self) -> None:
        """Stop every server process, then Redis. Idempotent."""
        members, self.members = self.members, []
        for member in members:
            with contextlib.suppress(OSError):
                member.stop()
        redis, self._redis = self._redis, None
        if redis is not None:
            redis.stop()


def start(launcher: Launcher, history: bool) -> RunningServer | RunningNetwork:
    """The context manager that runs ``launcher``'s server (or network) for one scenario."""
    if isinstance(launcher, OursClusterLauncher):
        return RunningNetwork(launcher)
    return RunningServer(launcher, history)
