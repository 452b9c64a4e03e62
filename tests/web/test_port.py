"""The web port: bound at start, its listener loaded at the first connection."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from chatroom.transports.websocket import IrcOverWebSocket
from chatroom.web.listener import WebListener
from chatroom.web.port import WebPort, bind
from support.core import Harness
from support.timeouts import TIMEOUT


@dataclass
class Loader:
    """Builds the real listener, counting the calls."""

    harness: Harness
    built: list[WebListener] = field(default_factory=list)

    def __call__(self) -> WebListener:
        listener = WebListener(self.harness.server, IrcOverWebSocket())
        self.built.append(listener)
        return listener


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    harness = Harness()
    yield harness
    harness.server.shutdown()
    await harness.close()


async def start_port(loader: Loader, allowed_origins: tuple[str, ...] = ()) -> tuple[WebPort, int]:
    port = WebPort(await bind("127.0.0.1", 0), loader, allowed_origins=allowed_origins)
    port.start()
    return port, port.sockets[0].getsockname()[1]


async def test_the_first_connection_is_a_websocket_served_by_the_listener_it_loads(
    harness: Harness,
) -> None:
    loader = Loader(harness)
    port, number = await start_port(loader, allowed_origins=("https://a.example",))
    await asyncio.sleep(0.05)
    assert loader.built == []  # listening, nothing loaded
    async with connect(
        f"ws://127.0.0.1:{number}/ws",
        subprotocols=[Subprotocol("text.ircv3.net")],
        open_timeout=TIMEOUT,
    ) as ws:
        await ws.send("NICK first")
        await ws.send("USER first 0 * :First")
        while " 001 " not in (line := str(await asyncio.wait_for(ws.recv(), TIMEOUT))):
            pass
        assert line.split()[2] == "first"
    assert len(loader.built) == 1
    assert loader.built[0].allowed_origins == ("https://a.example",)
    port.allowed_origins = ("https://b.example",)  # a reload reaches the loaded listener
    assert loader.built[0].allowed_origins == ("https://b.example",)
    port.close()
    port.close()  # idempotent
    await port.wait_closed(1.0)


async def test_a_page_request_loads_it_once_and_is_answered(harness: Harness) -> None:
    loader = Loader(harness)
    port, number = await start_port(loader)
    for _ in range(2):
        reader, writer = await asyncio.open_connection("127.0.0.1", number)
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status = await asyncio.wait_for(reader.readline(), TIMEOUT)
        assert status.startswith(b"HTTP/1.1 200 ")
        writer.close()
    assert len(loader.built) == 1
    port.close()
    await port.wait_closed(1.0)


async def test_the_port_is_taken_from_the_start_and_freed_by_close(harness: Harness) -> None:
    loader = Loader(harness)
    port, number = await start_port(loader)
    with pytest.raises(OSError):
        await bind("127.0.0.1", number)
    port.upkeep = asyncio.get_running_loop().create_task(asyncio.sleep(60))
    port.close()
    await port.wait_closed(1.0)
    with pytest.raises(asyncio.CancelledError):
        await port.upkeep
    assert loader.built == []  # closed without ever loading
    again = await bind("127.0.0.1", number)
    for sock in again:
        sock.close()


async def test_bind_gives_one_listening_socket_per_address() -> None:
    sockets = await bind("localhost", 0)
    try:
        families = {sock.family for sock in sockets}
        assert socket.AF_INET in families
        assert all(sock.getsockname()[1] for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


async def test_a_listener_that_cannot_load_is_logged_and_the_port_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> WebListener:
        raise ImportError("No module named 'websockets'")  # a missing dependency

    port = WebPort(await bind("127.0.0.1", 0), broken)
    port.start()
    number = port.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", number)
    writer.close()
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while "The web chat could not start" not in caplog.text:
        assert asyncio.get_running_loop().time() < deadline, caplog.text
        await asyncio.sleep(0.01)
    with pytest.raises(OSError):  # refused from now on; IRC goes on
        await asyncio.open_connection("127.0.0.1", number)
    port.close()
    await port.wait_closed(1.0)
