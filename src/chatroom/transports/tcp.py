"""IRC over TCP: an asyncio Protocol per connection, feeding a core Session."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from ssl import SSLContext
from typing import Protocol, cast

from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.transports.tls import HANDSHAKE_TIMEOUT

SEND_BUFFER = 128 * 1024
WRITE_HIGH_WATER = 64 * 1024  # asyncio's default

log = logging.getLogger("chatroom.server")


def tune_socket(sock: socket.socket | None) -> None:
    """Set up a client's TCP socket (any transport: plain, TLS, WebSocket)."""
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            # Small writes must not wait on Nagle's algorithm (docs/performance.md).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Cap the kernel's send buffer (Linux doubles this): otherwise it holds
            # megabytes for a client that stopped reading before our SendQ sees any,
            # and a large reply is not sent as the client reads but queued whole.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)


class IrcProtocol(asyncio.Protocol):
    """One TCP connection. All protocol work is the Session's; this only moves bytes."""

    __slots__ = ("reserved", "server", "session")

    def __init__(self, server: Server, *, reserved: bool = False) -> None:
        self.server = server
        self.session: Session | None = None
        self.reserved = reserved  # counted by Server.reserve at accept (TLS listener)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave like them.
        transport = cast(asyncio.Transport, transport)
        tune_socket(transport.get_extra_info("socket"))
        # A large reply is sent as the client reads (Session.send_stream): its writes
        # stop at the high-water mark, which must leave room in the SendQ.
        high = min(WRITE_HIGH_WATER, self.server.config.sendq // 2)
        transport.set_write_buffer_limits(high=high, low=high // 4)
        peer = transport.get_extra_info("peername") or ("unknown", 0)
        secure = transport.get_extra_info("sslcontext") is not None
        self.session = self.server.connect(
            transport, str(peer[0]), int(peer[1]), secure=secure, reserved=self.reserved
        )

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


class Listener(Protocol):
    """What serve.py needs of a listener: its sockets (to log where) and close()."""

    @property
    def sockets(self) -> tuple[socket.socket, ...]: ...

    def close(self) -> None: ...


async def listen(
    server: Server,
    host: str,
    port: int,
    *,
    ssl: SSLContext | None = None,
    backlog: int = 4096,
    reuse_port: bool = False,
) -> Listener:
    """Accept IRC connections on ``host:port`` (TLS with ``ssl``); a deep backlog
    absorbs connection storms. With ``reuse_port`` (SO_REUSEPORT, ``--workers``), several
    processes listen on one port and the kernel spreads new connections over them.

    TLS connections are accepted by :class:`TlsListener`, which counts each against
    ``max_per_address`` from the moment it is accepted, before its handshake."""
    loop = asyncio.get_running_loop()
    if ssl is not None:
        sock = socket.create_server(
            (host, port),
            family=socket.AF_INET6 if ":" in host else socket.AF_INET,
            backlog=backlog,
            reuse_port=reuse_port,
        )
        return TlsListener(server, sock, ssl)
    return await loop.create_server(
        lambda: IrcProtocol(server),
        host,
        port,
        backlog=backlog,
        reuse_address=True,
        reuse_port=reuse_port or None,
    )


class TlsListener:
    """A TLS listener that counts a connection against its address from accept.

    asyncio's own TLS server calls the protocol only once the handshake is done, so an
    address could hold any number of unfinished handshakes (issue 14). Here each accepted
    socket is counted with :meth:`Server.reserve` first (refused ones are closed at once),
    then handed to ``loop.connect_accepted_socket`` for the handshake; the session takes
    the count over, or it is given back when the handshake fails or stalls for
    :data:`~chatroom.transports.tls.HANDSHAKE_TIMEOUT` seconds.
    """

    def __init__(self, server: Server, sock: socket.socket, context: SSLContext) -> None:
        self.server = server
        self.context = context
        self._socket = sock
        sock.setblocking(False)
        self._handshakes: set[asyncio.Task[None]] = set()
        self._accepting = asyncio.get_running_loop().create_task(self._accept())

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self._socket,)

    def close(self) -> None:
        """Stop accepting and drop unfinished handshakes (idempotent)."""
        self._accepting.cancel()
        for task in list(self._handshakes):
            task.cancel()
        self._socket.close()

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, peer = await loop.sock_accept(self._socket)
            except OSError as exc:  # e.g. EMFILE: back off a little, keep the listener
                log.warning("TLS listener: %s", exc)
                await asyncio.sleep(0.1)
                continue
            address = str(peer[0])
            if self.server.reserve(address) is not None:
                conn.close()  # over the per-address limit: nothing counted, nothing sent
                continue
            task = loop.create_task(self._handshake(conn, address))
            self._handshakes.add(task)
            task.add_done_callback(self._handshakes.discard)

    async def _handshake(self, conn: socket.socket, address: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.connect_accepted_socket(
                lambda: IrcProtocol(self.server, reserved=True),
                conn,
                ssl=self.context,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
            )
        except (OSError, TimeoutError, asyncio.CancelledError) as exc:
            # ssl.SSLError is an OSError. The session never came: give the count back.
            self.server.release(address)
            conn.close()
            if isinstance(exc, asyncio.CancelledError):
                raise
