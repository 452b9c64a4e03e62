"""The connection: framing with client-side limits, errors as short reasons."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from chatroom.client.connection import ConnectError, Connection, open_connection
from chatroom.protocol import Line
from support.ports import free_port

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], object]


async def serve(script: Script) -> AsyncIterator[int]:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await script(reader, writer)  # type: ignore[misc]

    listener = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield listener.sockets[0].getsockname()[1]
    finally:
        listener.close()


async def connect_to(script: Script) -> tuple[Connection, AsyncIterator[int]]:
    ports = serve(script)
    port = await ports.__anext__()
    return await open_connection("127.0.0.1", port), ports


async def test_refused_connection_has_a_short_reason() -> None:
    with pytest.raises(ConnectError, match=r"^connection refused$"):
        await open_connection("127.0.0.1", free_port())


async def test_unknown_host_is_reported() -> None:
    with pytest.raises(ConnectError, match="unknown host"):
        await open_connection("no-such-host.invalid", 1060)


async def test_long_lines_from_servers_are_accepted_bad_ones_skipped() -> None:
    long_text = "x" * 3000

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f":a!b@c PRIVMSG #x :{long_text}\r\n".encode())
        writer.write(b":a PRIVMSG #x :\xff\xfe not utf-8\r\n")
        writer.write(b"@" + b"t" * 20000 + b" PING :too long\r\n")
        writer.write(b"PING :last\r\n")
        await writer.drain()
        writer.close()

    conn, ports = await connect_to(script)
    first = await conn.read_line()
    assert first is not None and first.params[1] == long_text
    last = await conn.read_line()
    assert last == Line("PING", ("last",))
    assert await conn.read_line() is None
    conn.close()
    conn.close()  # idempotent
    await ports.aclose()


async def test_lines_sent_arrive_framed() -> None:
    got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.set_result(await reader.readline())
        writer.close()

    conn, ports = await connect_to(script)
    conn.send(Line("PRIVMSG", ("#x", "héllo world")))
    assert await asyncio.wait_for(got, 5) == "PRIVMSG #x :héllo world\r\n".encode()
    conn.close()
    conn.send(Line("PING", ("x",)))  # after close: ignored, no error
    await ports.aclose()
