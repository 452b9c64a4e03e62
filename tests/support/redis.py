"""A throwaway Redis server for the cluster tests.

:func:`find_redis` says where ``redis-server`` is (Debian's ``redis-server`` package),
or why the tests must skip. :class:`RedisServer` runs one on a free port of 127.0.0.1
with no persistence, in a temporary directory, restarts it empty on the same port
(:meth:`~RedisServer.pause`, :meth:`~RedisServer.resume`), and stops it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from support.ports import free_port
from support.timeouts import TIMEOUT


def find_redis() -> tuple[str | None, str]:
    """``(path to redis-server, "")`` or ``(None, why the tests skip)``."""
    path = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if path is None:
        return None, "redis-server is not installed (apt-get install redis-server)"
    return path, ""


class RedisServer:
    """``redis-server`` on 127.0.0.1:``port``; :meth:`stop` ends it and removes its files."""

    def __init__(self, binary: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="chatroom-redis-"))
        self.port = free_port()
        self.binary = binary
        self.proc = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return proc
            except OSError:
                time.sleep(0.05)
        proc.kill()
        proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        raise RuntimeError("redis-server did not start")

    def pause(self) -> None:
        """Stop the server (its memory is lost: nothing is saved); :meth:`resume` it."""
        self._end()

    def resume(self) -> None:
        """Start it again on the same port, empty."""
        self.proc = self._start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self._end()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _end(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A throwaway :class:`RedisServer` for a fixture, stopped at the end; skips the
    test (with the reason) when ``redis-server`` is not installed."""
    binary, why = find_redis()
    if binary is None:
        pytest.skip(why)
    server = RedisServer(binary)
    try:
        yield server
    finally:
        server.stop()
