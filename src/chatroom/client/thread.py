"""Running a client on its own thread, for UIs with their own main loop (Tk).

The client's asyncio loop runs in a daemon thread; events arrive in a
thread-safe queue that the UI drains from its own loop (Tk: with ``after()``,
in small batches, as Thonny does; ``event_generate`` across threads is not
reliable). Calls from the UI thread are handed to the loop with
``call_soon_threadsafe``, so the client's state is only ever touched by its
own thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable

from chatroom.client.config import ClientConfig
from chatroom.client.core import ChatClient
from chatroom.client.events import Event, ExitReason


class ClientThread:
    """A :class:`ChatClient` running on a background thread.

    Use::

        runner = ClientThread(ClientConfig(host, port, nick="alice"))
        runner.start()
        ...                                   # every 50 ms on the UI thread:
        for event in runner.drain():          # render the events
            ...
        runner.submit("hello")                # from the UI thread
        runner.quit(); runner.join(5)         # at exit

    Every method except :meth:`call` returns at once and is safe from any
    thread. After the client stops, ``result`` holds its :class:`ExitReason`
    (the last event drained is then ``Stopped``).
    """

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.result: ExitReason | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: ChatClient | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name="chatroom-client", daemon=True)

    def start(self) -> None:
        """Start the thread and wait until the client exists."""
        self._thread.start()
        self._started.wait()

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        client = ChatClient(self.config)
        client.subscribe(self.events.put)
        self._client = client
        self._started.set()
        try:
            self.result = loop.run_until_complete(client.run())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def call(self, function: Callable[[ChatClient], object]) -> None:
        """Run ``function(client)`` on the client's thread, soon. Ignored once the
        client has stopped."""
        loop, client = self._loop, self._client
        if loop is None or client is None or loop.is_closed():
            return
        # The loop may close between the check and the call.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(function, client)

    def submit(self, text: str) -> None:
        """A line the user typed (see :meth:`ChatClient.submit`)."""
        self.call(lambda client: client.submit(text))

    def input_changed(self, text: str) -> None:
        """The input line now reads ``text`` (see :meth:`ChatClient.input_changed`)."""
        self.call(lambda client: client.input_changed(text))

    def provide_nick(self, nick: str) -> None:
        self.call(lambda client: client.provide_nick(nick))

    def switch_to(self, target: str) -> None:
        self.call(lambda client: client.switch_to(target))

    def mark_read(self, name: str | None = None) -> None:
        """The user has read a buffer (see :meth:`ChatClient.mark_read`)."""
        self.call(lambda client: client.mark_read(name))

    def quit(self, reason: str | None = None) -> None:
        self.call(lambda client: client.quit(reason))

    def trust_certificate(self, trusted: bool) -> None:
        """The user's answer to ``CertificateUnknown``."""
        self.call(lambda client: client.trust_certificate(trusted))

    def open_private(self, nick: str) -> None:
        """Open and show the private chat with ``nick`` (see :meth:`ChatClient.open_private`)."""
        self.call(lambda client: client.open_private(nick))

    def fetch_older(self, buffer: str, limit: int = 50) -> None:
        """Ask for older messages of ``buffer``; they arrive as ``OlderMessages``
        (nothing arrives when the server keeps no history)."""
        self.call(lambda client: client.fetch_older(buffer, limit))

    def drain(self, limit: int = 200) -> list[Event]:
        """Up to ``limit`` pending events, oldest first, without waiting."""
        out: list[Event] = []
        while len(out) < limit:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                break
        return out

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
