"""A throwaway ``redis-server`` for the two-process kind, and what it did during a phase.

The bench starts its own Redis (Debian's ``redis-server`` package) on a free port of
127.0.0.1, with no persistence (``--save ""``, ``--appendonly no``) in a temporary
directory, so a run neither needs nor touches a Redis of the machine.

What Redis did is read from ``INFO`` over a plain socket (no client library: the bench
must not depend on the server's optional extras): ``commandstats`` counts calls per
command, so PUBLISH calls divided by messages sent checks the claim of issue 9, "one
publish per channel event, not one per recipient"; ``stats`` gives the bytes in and out.
Its CPU comes from ``/proc`` like the servers'.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from bench.procstat import read_proc

HOST = "127.0.0.1"
#: How long Redis may take to answer PING after it was started.
START_TIMEOUT_S = 20.0
#: How long Redis has to exit after SIGTERM before it is killed.
STOP_GRACE_S = 5.0
#: Longest wait for one INFO reply.
INFO_TIMEOUT_S = 5.0


def find_redis() -> tuple[str | None, str]:
    """``(path to redis-server, "")``, or ``(None, why the two-process kind cannot run)``."""
    path = shutil.which("redis-server")
    for candidate in ("/usr/bin/redis-server", "/usr/sbin/redis-server"):
        if path is None and Path(candidate).exists():
            path = candidate
    if path is None:
        return None, "redis-server is not installed (Debian: apt-get install redis-server)"
    return path, ""


def parse_info(text: str) -> dict[str, str]:
    """The ``key:value`` lines of an INFO reply as a dict (sections and blanks skipped)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            key, _, value = line.partition(":")
            found[key.strip()] = value.strip()
    return found


def command_calls(info: dict[str, str], command: str) -> int:
    """Calls of ``command`` (lower case) from parsed ``INFO commandstats``; 0 when absent.

    A line reads ``cmdstat_publish:calls=12,usec=30,usec_per_call=2.50,...``.
    """
    stats = info.get(f"cmdstat_{command}", "")
    for part in stats.split(","):
        name, _, value = part.partition("=")
        if name == "calls":
            return int(value)
    return 0


@dataclass(frozen=True)
class RedisCounters:
    """Redis's counters at one moment (or, from :meth:`since`, their growth over a phase)."""

    cpu_s: float
    commands: int
    publishes: int
    evals: int
    in_bytes: int
    out_bytes: int

    @classmethod
    def of(cls, info: dict[str, str], cpu_s: float) -> RedisCounters:
        """Counters from a parsed ``INFO all`` reply and Redis's CPU seconds."""
        return cls(
            cpu_s=cpu_s,
            commands=int(info.get("total_commands_processed", "0")),
            # Channel messages go by SPUBLISH (sharded pub/sub) where Redis has it.
            publishes=command_calls(info, "publish") + command_calls(info, "spublish"),
            evals=command_calls(info, "eval") + command_calls(info, "evalsha"),
            in_bytes=int(info.get("total_net_input_bytes", "0")),
            out_bytes=int(info.get("total_net_output_bytes", "0")),
        )

    def since(self, before: RedisCounters) -> RedisCounters:
        """What grew between ``before`` and these counters."""
        return RedisCounters(
            cpu_s=self.cpu_s - before.cpu_s,
            commands=self.commands - before.commands,
            publishes=self.publishes - before.publishes,
            evals=self.evals - before.evals,
            in_bytes=self.in_bytes - before.in_bytes,
            out_bytes=self.out_bytes - before.out_bytes,
        )


def _read_bulk(sock: socket.socket) -> str:
    """Read one RESP bulk-string reply (``$<len>\\r\\n<data>\\r\\n``) and return the data."""
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("Redis closed the connection")
        data += chunk
    head, _, rest = data.partition(b"\r\n")
    if not head.startswith(b"$"):
        raise OSError(f"unexpected Redis reply {head[:60]!r}")
    size = int(head[1:])
    while len(rest) < size + 2:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("Redis closed the connection")
        rest += chunk
    return rest[:size].decode(errors="replace")


class RedisProcess:
    """One ``redis-server`` on ``port``, started on entry (answering PING), stopped on exit.
    With ``unix``, it also listens on a Unix socket in its directory, and that is the
    URL the servers get (the bench still reads ``INFO`` over the port)."""

    def __init__(self, binary: str, port: int, unix: bool = False) -> None:
        self.binary = binary
        self.port = port
        self.unix = unix
        self.socket: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """The URL the servers are given with ``--cluster``."""
        if self.socket is not None:
            return f"unix://{self.socket}?db=0"
        return f"redis://{HOST}:{self.port}/0"

    @property
    def pid(self) -> int:
        """Redis's process id; only valid inside the ``with`` block."""
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> RedisProcess:
        self._tmp = tempfile.TemporaryDirectory(prefix="chatroom-bench-redis-")
        workdir = Path(self._tmp.name)
        argv = [self.binary, "--port", str(self.port), "--bind", HOST, "--dir", str(workdir)]
        argv += ["--save", "", "--appendonly", "no"]
        if self.unix:
            self.socket = workdir / "redis.sock"
            argv += ["--unixsocket", str(self.socket), "--unixsocketperm", "700"]
        try:
            with open(workdir / "redis.log", "wb") as log:
                self.proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
                )
            self._wait_ready()
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

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise OSError(f"redis-server exited with status {self.proc.returncode}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise OSError(f"redis-server did not answer on port {self.port}")

    def info(self) -> dict[str, str]:
        """``INFO all`` (commandstats included), parsed; raises OSError if Redis is gone."""
        with socket.create_connection((HOST, self.port), timeout=INFO_TIMEOUT_S) as sock:
            sock.sendall(b"*2\r\n$4\r\nINFO\r\n$3\r\nall\r\n")
            return parse_info(_read_bulk(sock))

    def counters(self) -> RedisCounters | None:
        """Redis's counters now, or None when it cannot be read (it exited)."""
        try:
            return RedisCounters.of(self.info(), read_proc(self.pid).cpu_s)
        except (OSError, ValueError, AssertionError):
            return None

    def stop(self) -> None:
        """SIGTERM, wait, then SIGKILL Redis, and remove its directory. Idempotent."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_GRACE_S)
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()
            self._tmp = None
