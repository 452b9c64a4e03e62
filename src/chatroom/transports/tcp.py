"""IRC over TCP: an asyncio Protocol per connection, feeding a core Session."""

from __future__ import annotations

import asyncio
import socket
from ssl import SSLContext
from typing import cast

from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.transports.tls import HANDSHAKE_TIMEOUT

SEND_BUFFER = 128 * 1024
WRITE_HIGH_WATER = 64 * 1024  # asyncio's default


class IrcProtocol(asyncio.Protocol):
    """One TCP connection. All protocol work is the Session's; this only moves bytes."""

    __slots__ = ("server", "session")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.session: Session | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave like them.
        transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Small writes must not wait on Nagle's algorithm (PERFORMANCE.md).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Cap the kernel's send buffer (Linux doubles this): otherwise it holds
            # megabytes for a client that stopped reading before our SendQ sees any.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        # A large reply is sent as the client reads (Session.send_stream): its writes
        # stop at the high-water mark, which must leave room in the SendQ.
        high = min(WRITE_HIGH_WATER, self.server.config.sendq // 2)
        transport.set_write_buffer_limits(high=high, low=high // 4)
        peer = transport.get_extra_info("peername") or ("unknown", 0)
        secure = transport.get_extra_info("sslcontext") is not None
        self.session = self.server.connect(transport, str(peer[0]), int(peer[1]), secure=secure)

    def data_received(self, data: bytes) -> None:
        session = self.session
        if session is not None and not session.closed:
            session.feed(data)

    # asyncio's flow control: a large reply is sent as the client reads it.
    def pause_writing(self) -> None:
        if self.session is not None:
            self.session.pause_writing()

    def resume_writing(self) -> None:
        if self.session is not None:
            self.session.resume_writing()

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self.session is not None:
            self.server.connection_lost(self.session, str(exc) if exc else None)
            self.session = None


async def listen(
    server: Server,
    host: str,
    port: int,
    *,
    ssl: SSLContext | None = None,
    backlog: int = 4096,
    reuse_port: bool = False,
) -> asyncio.Server:
    """Accept IRC connections on ``host:port`` (TLS with ``ssl``); a deep backlog
    absorbs connection storms. A TLS handshake that stalls is dropped after
    :data:`~chatroom.transports.tls.HANDSHAKE_TIMEOUT` without touching anyone else.
    With ``reuse_port`` (SO_REUSEPORT, ``--workers``), several processes listen on one
    port and the kernel spreads new connections over them."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: IrcProtocol(server),
        host,
        port,
        backlog=backlog,
        reuse_address=True,
        reuse_port=reuse_port or None,
        ssl=ssl,
        ssl_handshake_timeout=HANDSHAKE_TIMEOUT if ssl is not None else None,
    )
