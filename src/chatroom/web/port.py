"""The web port, bound at start and served from its first connection.

Until someone opens the page, the web port costs no memory for websockets: its
HTTP and WebSocket machinery (websockets, :mod:`chatroom.web.listener`,
:mod:`chatroom.transports.websocket`: 2.7 MB resident) is imported at the port's
first connection. The sockets are bound and listening from the start (a port that
is taken is still an error at start, and the page's address is logged), the
kernel queues connections in their backlog, and the event loop only watches them
for readability. The first readable socket stops the watching, loads the listener
(``load``, given by the composition) and hands it the same sockets: the connection
that woke it is the first one it accepts, nothing is refused or reset.

Any first connection loads it, not only a WebSocket upgrade: the page, its files,
``/healthz`` and ``/metrics`` are answered by the same machinery (websockets parses
the requests), and a second HTTP parser only to serve the page would be more code
to keep safe for a saving that lasts until the page is opened.

Life cycle, driven by :mod:`chatroom.serve`::

    port = WebPort(await bind(host, port), load, secure=..., allowed_origins=...)
    port.start()                    # watch the sockets (no listener yet)
    ...
    port.close()                    # stop accepting; idempotent
    await port.wait_closed(grace)   # after the core closed its sessions
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger("chatroom.server")


class Serving(Protocol):
    """What :class:`WebPort` loads: :class:`chatroom.web.listener.WebListener`."""

    allowed_origins: tuple[str, ...]

    async def serve(self, sockets: Sequence[socket.socket]) -> None: ...

    def close(self) -> None: ...

    async def wait_closed(self, grace: float) -> None: ...


async def bind(host: str, port: int, backlog: int = 4096) -> list[socket.socket]:
    """Listening sockets for ``host:port``, one per address ``host`` resolves to (``""``:
    every interface, IPv4 and IPv6), as the event loop's ``create_server`` binds them.
    Raises :class:`OSError` (with ``strerror``) when one cannot be bound."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # the IPv4 address gets its own socket
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def page_urls(sockets: Sequence[socket.socket], *, secure: bool) -> list[str]:
    """The page's address for each listening socket (port 0 resolved)."""
    scheme = "https" if secure else "http"
    out = []
    for sock in sockets:
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        out.append(f"{scheme}://{shown}:{port}/")
    return out


class WebPort:
    """Bound sockets that load their listener at the first connection."""

    def __init__(
        self,
        sockets: Sequence[socket.socket],
        load: Callable[[], Serving],
        *,
        secure: bool = False,
        allowed_origins: Sequence[str] = (),
    ) -> None:
        self.sockets = tuple(sockets)
        self.secure = secure
        self.listener: Serving | None = None  # set at the first connection
        self.upkeep: asyncio.Task[None] | None = None  # the owner's task, cancelled at close
        self._load = load
        self._origins = tuple(allowed_origins)
        self._loading: asyncio.Task[None] | None = None
        self._watching = False
        self._closed = False

    @property
    def urls(self) -> list[str]:
        return page_urls(self.sockets, secure=self.secure)

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        return self._origins

    @allowed_origins.setter
    def allowed_origins(self, origins: Sequence[str]) -> None:
        """A reload's new origins, for the listener now or once it is loaded."""
        self._origins = tuple(origins)
        if self.listener is not None:
            self.listener.allowed_origins = self._origins

    def start(self) -> None:
        """Watch the sockets; the first connection loads and starts the listener."""
        loop = asyncio.get_running_loop()
        for sock in self.sockets:
            loop.add_reader(sock.fileno(), self._wake)
        self._watching = True

    def close(self) -> None:
        """Stop accepting connections. Open sessions are the core's to close. Idempotent."""
        self._closed = True
        if self.upkeep is not None:
            self.upkeep.cancel()
        self._unwatch()
        if self.listener is not None:
            self.listener.close()
        elif self._loading is None:
            for sock in self.sockets:
                sock.close()

    async def wait_closed(self, grace: float) -> None:
        """After :meth:`close`: wait for the listener's handlers (at most ``grace``)."""
        if self._loading is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loading
        if self.listener is not None:
            await self.listener.wait_closed(grace)

    def _unwatch(self) -> None:
        if not self._watching:
            return
        self._watching = False
        loop = asyncio.get_running_loop()
        for sock in self.sockets:
            loop.remove_reader(sock.fileno())

    def _wake(self) -> None:
        self._unwatch()
        if self._loading is None:
            self._loading = asyncio.get_running_loop().create_task(self._start_listener())

    async def _start_listener(self) -> None:
        try:
            # The imports run here, on the loop: once, for a few tens of milliseconds.
            listener = self._load()
            listener.allowed_origins = self._origins
            self.listener = listener
            await listener.serve(self.sockets)
        except Exception:
            log.exception("The web chat could not start (IRC clients can still connect)")
            for sock in self.sockets:
                sock.close()
            return
        if self._closed:  # close() came while the listener was starting
            listener.close()
