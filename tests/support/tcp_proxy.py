"""A TCP relay the tests can cut, to take one server process off Redis while the
others keep it (a network problem on one machine, not a Redis restart).

:class:`Relay` listens on a free port of 127.0.0.1 and copies bytes both ways to
a target port; :meth:`~Relay.cut` closes every connection and stops listening
(connecting is then refused), :meth:`~Relay.restore` listens again on the same port;
:meth:`~Relay.mute_subscriptions` makes the pub/sub connections deaf without closing
them (a connection that died silently: what the target sends is dropped).
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Relay:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target``."""

    def __init__(self, target: int) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        # Per connection: set once its client subscribed, and once it is muted.
        self._subscribed: list[threading.Event] = []
        self._muted: list[threading.Event] = []
        self._hole = threading.Event()  # see black_hole
        self._mute_new = threading.Event()  # see mute_new_subscriptions
        self._listener = self._listen(0)
        self.port: int = self._listener.getsockname()[1]

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return listener

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            if self._hole.is_set():
                with self._lock:
                    self._sockets.append(client)  # accepted, never answered
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            muted, subscribed = threading.Event(), threading.Event()
            with self._lock:
                self._sockets += [client, upstream]
                self._muted.append(muted)
                self._subscribed.append(subscribed)
            for source, sink, downstream in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(
                    target=self._pump,
                    args=(source, sink, subscribed, muted, downstream),
                    daemon=True,
                ).start()

    def _pump(
        self,
        source: socket.socket,
        sink: socket.socket,
        subscribed: threading.Event,
        muted: threading.Event,
        downstream: bool,
    ) -> None:
        try:
            while data := source.recv(65536):
                if not downstream and b"SUBSCRIBE" in data.upper():
                    subscribed.set()  # this client subscribes
                    if self._mute_new.is_set():
                        muted.set()  # before Redis can confirm it
                if not (downstream and muted.is_set()):
                    sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def mute_subscriptions(self) -> None:
        """From now on drop what the target sends on every connection whose client
        subscribed, keeping them open: they hear nothing, and get no error."""
        with self._lock:
            for subscribed, muted in zip(self._subscribed, self._muted, strict=True):
                if subscribed.is_set():
                    muted.set()

    def mute_new_subscriptions(self, mute: bool = True) -> None:
        """While on, a connection that subscribes is muted at once: it never hears the
        confirmation (a subscription that goes deaf again as soon as it is made)."""
        if mute:
            self._mute_new.set()
        else:
            self._mute_new.clear()

    def black_hole(self) -> None:
        """Redis stops answering, with no error: every connection goes deaf and new
        ones are accepted but never answered (a host gone off the network)."""
        self._hole.set()
        with self._lock:
            for muted in self._muted:
                muted.set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        # shutdown() wakes the thread blocked in accept(); close() alone leaves the
        # socket listening until a connection comes, and restore() could not bind.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        self._listener = self._listen(self.port)

    def close(self) -> None:
        self.cut()
