"""The web listener: one port that serves the browser client's page over HTTP and
IRC over WebSocket at ``/ws`` (and at any other path a WebSocket upgrade asks for).

Life cycle (:mod:`chatroom.serve` binds the port at start and creates the listener at
its first connection, :mod:`chatroom.web.port`; tests start it at once)::

    web = WebListener(server, IrcOverWebSocket(), allowed_origins=..., ssl=None)
    await web.start(host, port)     # raises OSError if the port is taken
                                    # (or: await web.serve(sockets), bound beforehand)
    ...
    web.close()                     # 1. stop accepting (with the IRC listeners)
    server.shutdown(reason)         # 2. the core sends ERROR to every session,
                                    #    WebSocket ones included, and closes them
    await server.wait_closed(grace) # 3. ... and waits for them
    await web.wait_closed(grace)    # 4. every connection handler has returned

``ssl``: with an :class:`ssl.SSLContext` the same port speaks HTTPS and WSS, and
sessions are marked secure. (Serving HTTPS when ``[tls]`` is configured is the
next step; this is the seam for it.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl as ssl_module
from collections.abc import Sequence
from typing import Protocol

from websockets.asyncio.server import Server as WsServer
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from chatroom.server.addresses import Network, parse_networks
from chatroom.server.server import Server
from chatroom.web.filehost import FILES_PATH, Uploads, start_upkeep
from chatroom.web.http import (
    StaticFile,
    json_file,
    load_static,
    origin_allowed,
    security_headers,
    static_response,
    text_response,
)
from chatroom.web.operations import PATHS as OPERATOR_PATHS
from chatroom.web.operations import Operations
from chatroom.web.port import bind, page_urls
from chatroom.web.upload import file_response, with_uploads

log = logging.getLogger("chatroom.server")

BACKLOG = 4096  # a deep backlog absorbs connection storms (as the IRC port's)

WS_PATH = "/ws"
"""Where the page's WebSocket endpoint is. A request for another path is a static file
or a 404, unless it asks for a WebSocket upgrade: then it is IRC over WebSocket too."""

# The library logs each static response as "connection rejected (200 OK)" at INFO:
# true for a WebSocket server, noise for us. Its warnings and errors still show.
_library_log = logging.getLogger("chatroom.web.websockets")


class WebSocketCarrier(Protocol):
    """What the web port needs to carry IRC over WebSocket (given by the composition:
    :class:`chatroom.transports.websocket.IrcOverWebSocket`)."""

    subprotocols: tuple[Subprotocol, ...]
    max_message: int

    def select_subprotocol(
        self, connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None: ...

    def connection_class(
        self, core: Server, proxies: tuple[Network, ...]
    ) -> type[ServerConnection]: ...

    async def serve(
        self,
        core: Server,
        connection: ServerConnection,
        *,
        secure: bool,
        proxies: Sequence[Network],
    ) -> None: ...


class WebListener:
    """Serves the page and ``/ws`` for one :class:`~chatroom.server.server.Server`."""

    def __init__(
        self,
        server: Server,
        websocket: WebSocketCarrier,
        *,
        allowed_origins: Sequence[str] = (),
        ssl: ssl_module.SSLContext | None = None,
        static: dict[str, StaticFile] | None = None,
        operations: Operations | None = None,
        uploads: Uploads | None = None,
    ) -> None:
        self.server = server
        self.uploads = uploads  # POST /upload and GET /files/ (web/upload.py)
        self.operations = operations  # /healthz, /readyz, /metrics
        self.websocket = websocket
        self.allowed_origins = tuple(allowed_origins)
        self.ssl = ssl
        self.static = dict(static) if static is not None else load_static()
        # What the page needs to know about this server before it connects.
        config = server.config
        self.static["/config.json"] = json_file(
            {
                "network": config.network,
                "default_room": config.default_room,
                "nicklen": config.nicklen,
            }
        )
        self.proxies = parse_networks(config.web_trusted_proxies)
        self._ws: list[WsServer] = []  # one per listening socket
        self._expiry: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> None:
        """Bind ``host:port`` and serve it, with the uploads' upkeep (the advertised
        URL, the files' retention); raises :class:`OSError` when it cannot be bound.
        The server binds at start and calls :meth:`serve` later
        (:class:`chatroom.web.port.WebPort`)."""
        await self.serve(await bind(host, port, BACKLOG))
        if self.uploads is not None:
            self._expiry = start_upkeep(self.server, self.uploads, self.urls)

    async def serve(self, sockets: Sequence[socket.socket]) -> None:
        """Accept on ``sockets`` (bound and listening), which are then the listener's."""
        if _library_log.level == logging.NOTSET and not log.isEnabledFor(logging.DEBUG):
            _library_log.setLevel(logging.WARNING)
        for sock in sockets:
            self._ws.append(
                await serve(
                    self._handle,
                    sock=sock,
                    subprotocols=list(self.websocket.subprotocols),
                    select_subprotocol=self.websocket.select_subprotocol,
                    process_request=self._process_request,
                    process_response=_add_security_headers,
                    create_connection=self._connection_class(),
                    # Chat lines are short; permessage-deflate would cost CPU and ~100 KiB
                    # of zlib state per connection to save little.
                    compression=None,
                    max_size=self.websocket.max_message,
                    # Keepalive pings find dead peers sooner than the core's IRC PING.
                    ping_interval=30,
                    ping_timeout=30,
                    close_timeout=5,
                    server_header="chatroom",
                    logger=_library_log,
                    ssl=self.ssl,
                    backlog=BACKLOG,  # the loop listens again with this depth
                )
            )

    def _connection_class(self) -> type[ServerConnection]:
        connection = self.websocket.connection_class(self.server, self.proxies)
        if self.uploads is None:
            return connection
        return with_uploads(connection, self.uploads)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The ``(host, port)`` pairs we listen on (port 0 resolved)."""
        return [
            (str(sock.getsockname()[0]), int(sock.getsockname()[1]))
            for ws in self._ws
            for sock in ws.sockets
        ]

    @property
    def urls(self) -> list[str]:
        """The page's address for each listening socket."""
        return page_urls([sock for ws in self._ws for sock in ws.sockets], secure=bool(self.ssl))

    def close(self) -> None:
        """Stop accepting connections. Open sessions are the core's to close. Idempotent."""
        if self._expiry is not None:
            self._expiry.cancel()
        for ws in self._ws:
            ws.close(close_connections=False)

    async def wait_closed(self, grace: float) -> None:
        """After :meth:`close`: wait for every handler to return, at most ``grace``
        seconds, then drop the connections still open."""
        if not self._ws:
            return
        try:
            await asyncio.wait_for(self._all_closed(), grace)
        except TimeoutError:
            for ws in self._ws:
                for connection in list(ws.connections):
                    connection.transport.abort()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_closed(), 1.0)

    async def _all_closed(self) -> None:
        await asyncio.gather(*(ws.wait_closed() for ws in self._ws))

    # -- per connection -----------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Static files for every path but ``/ws``; Origin checking for ``/ws``
        and for a WebSocket upgrade asked for at any other path.

        Other IRC servers take the IRC WebSocket upgrade on any path, and clients
        told ``ws://host:port`` ask for ``/``: a request with ``Upgrade: websocket``
        is never answered with the page.

        A request with two ``Host`` or two ``Origin`` headers is malformed (RFC 9110
        §7.2 allows one Host; RFC 6454 §7.3 one Origin) and gets 400: which one would
        we check?
        """
        host, origin, repeated = _single(request.headers, "Host", "Origin")
        if repeated is not None:
            log.info("Refused a request with more than one %s header", repeated)
            return text_response(400, f"Send one {repeated} header, not several.\n", None)
        path = request.path.split("?", 1)[0]
        if self.operations is not None and path in OPERATOR_PATHS:
            peer = str(connection.remote_address[0])
            return self.operations.answer(peer, request, host)
        method = getattr(request, "method", "GET")  # older websockets parse only GET
        if path.startswith(FILES_PATH) and self.uploads is not None:
            return file_response(self.uploads.files, method, path, host)
        if path != WS_PATH and not _asks_for_websocket(request.headers):
            return static_response(
                self.static,
                method,
                path,
                host,
                request.headers.get("If-None-Match"),
            )
        if not origin_allowed(origin, host, self.allowed_origins):
            log.info("Refused a WebSocket from origin %r (host %r)", origin, host)
            return text_response(403, "This page's origin may not connect here.\n", host)
        return None  # go on with the WebSocket handshake

    async def _handle(self, connection: ServerConnection) -> None:
        await self.websocket.serve(
            self.server, connection, secure=self.ssl is not None, proxies=self.proxies
        )


def _add_security_headers(
    connection: ServerConnection, request: Request, response: Response
) -> Response | None:
    """The library's own refusals (426 Upgrade Required, 400...) get our headers too."""
    if response.status_code != 101 and "Content-Security-Policy" not in response.headers:
        host = _single(request.headers, "Host")[0]
        response.headers.update(security_headers(host))
    return None


def _asks_for_websocket(headers: Headers) -> bool:
    """True when the request asks to upgrade to WebSocket (RFC 6455 §4.1: the
    ``Upgrade`` header lists ``websocket``, case-insensitively)."""
    return any(
        token.strip().lower() == "websocket"
        for value in headers.get_all("Upgrade")
        for token in value.split(",")
    )


def _single(headers: Headers, *names: str) -> tuple[str | None, ...]:
    """The value of each header in ``names`` (None when absent), then the name of the
    first one sent more than once (None when none was): ``Headers.get`` raises on
    repeated headers, and a request must never turn into a 500."""
    values: list[str | None] = []
    repeated = None
    for name in names:
        found = headers.get_all(name)
        if len(found) > 1 and repeated is None:
            repeated = name
        values.append(found[0] if len(found) == 1 else None)
    return (*values, repeated)
