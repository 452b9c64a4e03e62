"""IRC over WebSocket, as the IRCv3 "WebSocket support" specification describes it
(https://ircv3.net/specs/extensions/websocket).

What the specification asks, and where it is done here:

- Two subprotocols, ``binary.ircv3.net`` (MUST) and ``text.ircv3.net`` (SHOULD); the
  server picks the first one *the client* prefers (:func:`select_subprotocol`).
  Without a subprotocol (legacy clients) we still talk: either frame type is read,
  text frames are written.
- One IRC line per WebSocket message, without the trailing CR LF: the core writes
  several ``\\r\\n``-terminated lines at once, so :class:`WebSocketTransport` splits
  them and sends each as its own message; each received message becomes one line
  (``message + b"\\r\\n"``), and a message that holds CR or LF is refused.
- Never send non-UTF-8 in a text message (browsers drop the connection): text frames
  carry valid UTF-8, invalid bytes become U+FFFD. Binary frames carry raw bytes.
- Limit incoming message size (the spec's "Security considerations"):
  :data:`MAX_MESSAGE` is the longest IRC line with tags that IRCv3 allows; a bigger
  frame closes that one connection (1009, RFC 6455 §7.4.1) and nobody else's.

The browser-specific defence, Origin checking against Cross-Site WebSocket Hijacking
(RFC 6455 §10.2), is :func:`chatroom.web.http.origin_allowed`; the web listener calls it.

Library: `websockets <https://websockets.readthedocs.io>`_ (its asyncio API). It is
small, pure Python over a sans-I/O core, typed, maintained for a decade, and enforces
the protocol limits we need (frame size, UTF-8 validity of text frames, control
frames, the closing handshake, keepalive pings) so this module only moves IRC lines.
Its ``process_request`` hook is enough to serve the web client's few static files on
the same port, so we need no web framework (aiohttp would bring one, with its own
HTTP server, for nothing we use).

Writes are synchronous, like TCP's: the core calls ``write(bytes)`` once per loop
turn. :func:`websockets.asyncio.server.broadcast` is the library's documented way to
queue a message without awaiting; the core keeps its own bound on what waits
(SendQ) through :meth:`WebSocketTransport.get_write_buffer_size`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from websockets.asyncio.server import ServerConnection, broadcast
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.typing import Subprotocol

from chatroom.protocol.line import Line
from chatroom.server.addresses import Network, forwarded_for, is_trusted_proxy
from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.transports.tcp import tune_socket

log = logging.getLogger("chatroom.server")

BINARY = Subprotocol("binary.ircv3.net")
TEXT = Subprotocol("text.ircv3.net")
SUBPROTOCOLS: tuple[Subprotocol, ...] = (BINARY, TEXT)

MAX_MESSAGE = 8191 + 512 - 2
"""Largest WebSocket message accepted, in bytes: 8191 bytes of tags (IRCv3
message-tags, with the ``@`` and the space) and a 512-byte body, less the CR LF that
a WebSocket message leaves out. The core still applies its own, smaller limits to
what it accepts; this one only bounds memory (a security limit)."""

_CRLF_REFUSED = "A WebSocket message must hold one IRC line, without CR or LF"


def select_subprotocol(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    """Pick the first offered subprotocol that we support.

    The spec: "The server MUST accept any subprotocol it supports, respecting the
    client's order of preference". ``None`` continues without one (a legacy client,
    or one that offers only unknown names: a browser then fails the connection).
    """
    for name in offered:
        if name in SUBPROTOCOLS:
            return name
    return None


class WebSocketTransport:
    """The core's :class:`~chatroom.server.session.Transport` over one WebSocket.

    ``write`` takes whole ``\\r\\n``-terminated IRC lines (one or several) and sends
    each as one message: text frames when ``text`` is true, else binary frames.
    ``close`` starts the closing handshake after what was written; ``abort`` drops
    the TCP connection at once. ``pause_reading``/``resume_reading`` gate the
    reader loop (:func:`serve_connection`): while paused no message is taken, the
    library's receive queue fills and it stops reading the socket itself.
    """

    __slots__ = ("_closing", "_partial", "_readable", "_tasks", "text", "ws")
    kind = "websocket"  # for the metrics (chatroom_clients by transport)

    def __init__(self, ws: ServerConnection, *, text: bool) -> None:
        self.ws = ws
        self.text = text
        self._closing = False
        self._partial = b""
        self._readable = asyncio.Event()
        self._readable.set()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the Transport protocol ------------------------------------------------

    def write(self, data: bytes) -> None:
        """Send each complete line of ``data`` as one WebSocket message."""
        if self._closing or not data:
            return
        if self._partial:  # the core writes whole lines; stay correct if it did not
            data = self._partial + data
        lines = data.split(b"\r\n")
        self._partial = lines.pop()
        if not lines:
            return
        if self.text:
            try:
                data.decode()  # one check for the whole write: the usual, valid case
            except UnicodeDecodeError:
                # The spec: servers MUST NOT relay non-UTF-8 in text messages, and
                # MAY replace it with U+FFFD.
                lines = [line.decode(errors="replace").encode() for line in lines]
        ws = [self.ws]
        for line in lines:
            broadcast(ws, line, text=self.text)

    def close(self) -> None:
        """Close after what was written (the ERROR line goes first). Idempotent."""
        if self._closing:
            return
        self._closing = True
        self._readable.set()  # let the reader loop see the end
        task = asyncio.get_running_loop().create_task(self.ws.close(CloseCode.NORMAL_CLOSURE))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def abort(self) -> None:
        """Drop the connection now (a client that does not read)."""
        self._closing = True
        self._readable.set()
        self.ws.transport.abort()

    def pause_reading(self) -> None:
        self._readable.clear()

    def resume_reading(self) -> None:
        self._readable.set()

    def get_write_buffer_size(self) -> int:
        return int(self.ws.transport.get_write_buffer_size())

    # -- for the reader loop ----------------------------------------------------

    @property
    def closing(self) -> bool:
        return self._closing

    async def readable(self) -> None:
        """Return when the core accepts input again (at once unless paused)."""
        await self._readable.wait()


class FlowConnection(ServerConnection):
    """A WebSocket connection that passes asyncio's write flow control on to the session
    it carries, as :class:`~chatroom.transports.tcp.IrcProtocol` does for TCP: a large
    reply (LIST, WHO, CHATHISTORY) is then sent as the browser reads it, not queued
    whole. :func:`serve_connection` sets :attr:`flow`."""

    flow: Session | None = None

    def pause_writing(self) -> None:
        super().pause_writing()
        if self.flow is not None:
            self.flow.pause_writing()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.flow is not None:
            self.flow.resume_writing()


async def serve_connection(
    server: Server,
    ws: ServerConnection,
    *,
    secure: bool = False,
    proxies: Sequence[Network] = (),
) -> None:
    """Run one IRC session over an open WebSocket until either side closes it.

    The session counts toward every limit a TCP client does (``max_clients``,
    ``max_per_address`` by the real peer address; a ``reserved`` attribute on ``ws``
    equal to that address is a count already taken, which the session takes over),
    and goes through the same
    decoder, flood control and UTF-8 rules, since it is fed the same bytes.
    A peer in ``proxies`` (``[web] trusted_proxies``) is a reverse proxy: the client's
    address is read from its ``X-Forwarded-For`` (:func:`forwarded_for`), so limits,
    bans and WHOIS see the person, not the proxy; and ``X-Forwarded-Proto: https`` from
    it marks the session secure (the proxy terminated TLS).
    """
    tune_socket(ws.transport.get_extra_info("socket"))
    transport = WebSocketTransport(ws, text=ws.subprotocol != BINARY)
    peer = ws.remote_address or ("unknown", 0)
    address = str(peer[0])
    if ws.request is not None and is_trusted_proxy(address, proxies):
        headers = ws.request.headers
        address = forwarded_for(address, headers.get_all("X-Forwarded-For"), proxies)
        proto = ",".join(headers.get_all("X-Forwarded-Proto")).rpartition(",")[2]
        secure = secure or proto.strip().lower() == "https"
    # The web listener counted this address since the first byte: the session takes
    # that count over (see CountedConnection).
    reserved = getattr(ws, "reserved", None) == address
    if reserved:
        ws.reserved = None  # type: ignore[attr-defined]
    session = server.connect(transport, address, int(peer[1]), secure=secure, reserved=reserved)
    if session is None:  # refused: the core wrote ERROR and closed
        await ws.wait_closed()
        return
    if isinstance(ws, FlowConnection):
        ws.flow = session
    error: str | None = None
    try:
        error = await _read_lines(server, session, transport, ws)
    finally:
        if isinstance(ws, FlowConnection):
            ws.flow = None
        server.connection_lost(session, error)


async def _read_lines(
    server: Server, session: Session, transport: WebSocketTransport, ws: ServerConnection
) -> str | None:
    """Feed each message to the session as one line; return why the connection ended."""
    try:
        while True:
            await transport.readable()
            if transport.closing or session.closed:
                await ws.wait_closed()
                return None
            message = await ws.recv()
            data = message.encode() if isinstance(message, str) else message
            if b"\r" in data or b"\n" in data:
                session.send_line(
                    Line("FAIL", ("*", "INVALID_MESSAGE", _CRLF_REFUSED), server.config.name)
                )
                continue
            if not session.closed:
                session.feed(data + b"\r\n")
    except ConnectionClosed as exc:
        frame = exc.rcvd if exc.rcvd is not None else exc.sent
        if frame is None or frame.code in (CloseCode.NORMAL_CLOSURE, CloseCode.GOING_AWAY):
            return None
        return f"WebSocket closed ({frame.code}{': ' + frame.reason if frame.reason else ''})"


class CountedConnection(FlowConnection):
    """A web connection that counts against ``max_per_address`` from its first byte
    (:meth:`Server.reserve`), through the HTTP request and the WebSocket handshake,
    not only once it is an IRC session: one address cannot hold a thousand unfinished
    handshakes. A trusted proxy is not counted: the people behind it are, by the
    address it forwards, when their session starts.

    :func:`~chatroom.transports.websocket.serve_connection` hands :attr:`reserved`
    to the session (``reserved=True``); otherwise it is given back when the
    connection closes.
    """

    core: Server
    proxies: tuple[Network, ...] = ()
    reserved: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername") or ("unknown", 0)
        address = str(peer[0])
        if is_trusted_proxy(address, self.proxies):
            return
        refused = self.core.reserve(address)
        if refused is not None:
            log.info("Refused a web connection from %s: %s", address, refused)
            # Answered before the request is read: it may never come.
            self.transport.write(_refusal(refused))
            self.transport.close()
            return
        self.reserved = address

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.reserved is not None:
            self.core.release(self.reserved)
            self.reserved = None


def _refusal(reason: str) -> bytes:
    body = f"{reason}.\n".encode()
    head = (
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def counted_connection(core: Server, proxies: tuple[Network, ...]) -> type[CountedConnection]:
    """:class:`CountedConnection` bound to one server (websockets builds each
    connection from a class)."""
    return type("CountedConnection", (CountedConnection,), {"core": core, "proxies": proxies})


class IrcOverWebSocket:
    """IRC over WebSocket, as the web port needs it: which subprotocols, how big a
    message, which connection class (counted per address, with flow control), and what
    runs a connection once upgraded. The composition (serve.py) hands one to
    :class:`chatroom.web.listener.WebListener`, so the web layer imports no transport."""

    subprotocols: tuple[Subprotocol, ...] = SUBPROTOCOLS
    max_message: int = MAX_MESSAGE

    def select_subprotocol(
        self, connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        return select_subprotocol(connection, offered)

    def connection_class(
        self, core: Server, proxies: tuple[Network, ...]
    ) -> type[ServerConnection]:
        return counted_connection(core, proxies)

    async def serve(
        self,
        core: Server,
        connection: ServerConnection,
        *,
        secure: bool,
        proxies: Sequence[Network],
    ) -> None:
        await serve_connection(core, connection, secure=secure, proxies=proxies)
