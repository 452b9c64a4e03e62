"""One connection to a server: asyncio streams in, IRC lines out.

The only module of the client that touches sockets. It frames lines with the
sans-I/O :class:`~chatroom.protocol.LineDecoder`, with limits raised for the
client side: servers may send longer lines than clients (a relayed message
carries the sender's prefix and up to 8191 bytes of tags).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import ssl

from chatroom.errors import RemoteProtocolError
from chatroom.protocol import Line, LineDecoder, parse

log = logging.getLogger(__name__)

SERVER_MAX_BODY = 8192
SERVER_MAX_TAGS = 8192


class ConnectError(Exception):
    """A connection could not be opened. ``str()`` is a short lower-case reason
    ("connection refused"), ready for "Could not connect to HOST:PORT: REASON"."""


class CertificateUnverified(ConnectError):
    """TLS worked but the server's certificate could not be verified (self-signed,
    unknown issuer, another host's name). ``str()`` says why, lower-case."""


def fingerprint(der: bytes) -> str:
    """The SHA-256 fingerprint of a DER certificate as ``AA:BB:...``: the format
    the server logs, so a user can compare the two by eye."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


async def open_connection(
    host: str, port: int, *, tls: bool = False, verify: bool = True, timeout: float = 10.0
) -> Connection:
    """Connect to ``host:port`` (with TLS if ``tls``), or raise :class:`ConnectError`."""
    context: ssl.SSLContext | None = None
    if tls:
        context = ssl.create_default_context()
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await asyncio.wait_for(
            loop.create_connection(_LineProtocol, host, port, ssl=context), timeout
        )
    except ConnectionRefusedError:
        raise ConnectError("connection refused") from None
    except TimeoutError:
        raise ConnectError("timed out") from None
    except socket.gaierror as exc:
        raise ConnectError(f"unknown host ({exc.strerror})") from None
    except ssl.SSLCertVerificationError as exc:
        raise CertificateUnverified(exc.verify_message or "certificate not trusted") from None
    except ssl.SSLError as exc:
        raise ConnectError(f"TLS failed ({exc.reason or exc})") from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ConnectError(reason[:1].lower() + reason[1:]) from None
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Chat lines are small and latency matters more than packet count.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Connection(transport, protocol)


class _LineProtocol(asyncio.Protocol):
    """Feeds received bytes straight into the decoder, so lines that arrived
    before a reset (an ``ERROR`` explaining why) are still read."""

    def __init__(self) -> None:
        self.decoder = LineDecoder(max_body=SERVER_MAX_BODY, max_tags=SERVER_MAX_TAGS)
        self.wakeup = asyncio.Event()
        self.ended = False
        self.error: Exception | None = None

    def data_received(self, data: bytes) -> None:
        self.decoder.receive_data(data)
        self.wakeup.set()

    def eof_received(self) -> bool | None:
        self.ended = True
        self.wakeup.set()
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self.wakeup.set()


class Connection:
    """An open connection. Call :meth:`read_line` in one task until it returns
    ``None`` (the server closed), :meth:`send` from anywhere on the loop, and
    :meth:`close` when done (idempotent)."""

    def __init__(self, transport: asyncio.BaseTransport, protocol: _LineProtocol) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        self._transport = transport
        self._protocol = protocol
        self.closed = False

    @property
    def fingerprint(self) -> str | None:
        """The SHA-256 fingerprint of the server's certificate (TLS only)."""
        ssl_object = self._transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return fingerprint(der) if der else None

    async def read_line(self) -> Line | None:
        """The next line from the server, or ``None`` at end of stream.

        Lines we cannot read (too long, not UTF-8, malformed) are logged and
        skipped: one bad line must not end the chat. Every line received is
        given out before the end is reported; then, if the connection broke
        (rather than closed), the :class:`OSError` is raised.
        """
        protocol = self._protocol
        while True:
            try:
                text = protocol.decoder.next_line()
            except RemoteProtocolError as exc:
                log.warning("skipped a line from the server: %s", exc)
                continue
            if text is not None:
                log.debug("<- %s", text)
                try:
                    return parse(text)
                except RemoteProtocolError as exc:
                    log.warning("skipped a line from the server: %s", exc)
                    continue
            if protocol.ended:
                if isinstance(protocol.error, OSError):
                    raise protocol.error
                return None
            protocol.wakeup.clear()
            await protocol.wakeup.wait()

    def send(self, line: Line) -> None:
        """Queue one line. Raises :class:`~chatroom.errors.LocalProtocolError` if it
        cannot be framed; writing to a closed connection does nothing."""
        data = line.format().encode("utf-8") + b"\r\n"
        if self.closed or self._transport.is_closing():
            return
        log.debug("-> %s", line.format())
        self._transport.write(data)

    def close(self) -> None:
        """Close the connection (after writing what is queued). Idempotent."""
        if not self.closed:
            self.closed = True
            self._transport.close()

    def abort(self) -> None:
        """Close at once, discarding anything unsent."""
        self.closed = True
        self._transport.abort()
