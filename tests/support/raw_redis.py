"""A stand-in for Redis on loopback that sends what a test scripts, byte for byte.

:class:`ScriptedRedis` listens on 127.0.0.1; each connection's received bytes are
kept in :attr:`~ScriptedRedis.received`, and :meth:`~ScriptedRedis.send` writes raw
bytes to the latest connection (well-formed RESP, several replies at once, or
garbage). :meth:`~ScriptedRedis.connection` gives a stand-in for a redis-py asyncio
connection (``connect``, ``disconnect``, ``host``, ``port``, and the ``_reader`` /
``_writer`` streams the cluster code reads past redis-py's parser).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from support.timeouts import TIMEOUT


class ScriptedConnection:
    """What the cluster code uses of a redis-py asyncio connection."""

    def __init__(self, port: int) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def disconnect(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()


class ScriptedRedis:
    """A loopback server the test drives (see the module docstring)."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.connections = 0
        self._writer: asyncio.StreamWriter | None = None
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> ScriptedRedis:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def connection(self) -> ScriptedConnection:
        return ScriptedConnection(self.port)

    def send(self, data: bytes) -> None:
        assert self._writer is not None, "nobody connected"
        self._writer.write(data)

    def hang_up(self) -> None:
        """Close the latest connection."""
        assert self._writer is not None
        self._writer.close()

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.connections += 1
        while data := await reader.read(65536):
            self.received += data


async def until(check: Callable[[], bool]) -> None:
    """Wait (yielding to the event loop) until ``check()``; fail after TIMEOUT."""
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)
