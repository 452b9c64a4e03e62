"""Plain mode: for pipes, scripts and dumb terminals (``--plain``).

Contract: each line read from standard input is one message (or command), sent
in order once the start-up room is joined (and again after a reconnection);
blank lines are never sent. Each message received is one line on standard
output; the user's own messages are not echoed back. History is printed only
for what was missed while reconnecting (so a log has no gap), and for
``/history``; the backlog a room shows on joining is not. End of input quits
cleanly (exit 0). Nothing is ever drawn or erased, so output can be parsed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from typing import TextIO

from chatroom.client.core import ChatClient
from chatroom.client.events import (
    CertificateChanged,
    CertificateTrusted,
    CertificateUnknown,
    ConnectFailed,
    ConnectionLost,
    Event,
    ExitReason,
    HistoryLoaded,
    MessageAdded,
    NickRequired,
    OlderMessages,
    Ready,
    Registered,
    Stopped,
)
from chatroom.ui.terminal.render import (
    ALL_SET,
    YOUR_NAME,
    certificate_changed,
    certificate_trusted,
    certificate_untrusted,
    event_text,
    message_fragments,
    plain,
    reconnect_text,
    refusal_text,
)

ECHO_WAIT = 5.0  # seconds to wait at end of input for our messages to be echoed


class PlainApp:
    """Binds a :class:`ChatClient` to text streams. Call :meth:`run` once."""

    def __init__(
        self, client: ChatClient, stdin: TextIO | None = None, stdout: TextIO | None = None
    ) -> None:
        self.client = client
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._nick_wanted = asyncio.Event()
        self._announced_ready = False
        self._reconnected = False
        self._changed = asyncio.Event()  # set on every event from the client
        client.subscribe(self.on_event)

    def write(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def run(self) -> ExitReason:
        loop = asyncio.get_running_loop()
        # A thread reads stdin: it works for pipes, files and terminals alike,
        # where the loop's pipe readers refuse regular files.
        reader = threading.Thread(target=self._read_stdin, args=(loop,), daemon=True)
        reader.start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.client.quit)
        feeder = asyncio.create_task(self._feed())
        try:
            return await self.client.run()
        finally:
            feeder.cancel()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)

    def _read_stdin(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            for line in self.stdin:
                loop.call_soon_threadsafe(self._lines.put_nowait, line)
        except (OSError, ValueError, UnicodeDecodeError):
            pass  # unreadable input ends it like end of input does
        with contextlib.suppress(RuntimeError):  # the loop may be gone already
            loop.call_soon_threadsafe(self._lines.put_nowait, None)

    async def _feed(self) -> None:
        """Hand input lines to the client: the first as the name if one is
        asked for, the rest as messages once the client is ready (again, after
        a reconnection), so no line is lost or sent to nowhere."""
        client = self.client
        while True:
            line = await self._lines.get()
            if line is None:
                # Leave only once our last lines are in (echoed), or soon anyway.
                await client.wait_echoed(ECHO_WAIT)
                client.quit()
                return
            while not (self._nick_wanted.is_set() or client.ready.is_set()):
                self._changed.clear()
                await self._changed.wait()
            if self._nick_wanted.is_set():
                self._nick_wanted.clear()
                client.provide_nick(line.rstrip("\r\n"))
            elif line.strip():
                client.submit(line)

    def on_event(self, event: Event) -> None:
        self._changed.set()
        if isinstance(event, Registered):
            self._reconnected = event.reconnected
        text = event_text(event)
        if isinstance(event, ConnectFailed) and event.fatal:
            print(text, file=sys.stderr, flush=True)
        elif isinstance(event, CertificateUnknown):
            print("\n".join(certificate_untrusted(event)), file=sys.stderr, flush=True)
            self.client.trust_certificate(False)
        elif isinstance(event, CertificateChanged):
            print("\n".join(certificate_changed(event)), file=sys.stderr, flush=True)
        elif isinstance(event, CertificateTrusted):
            print(certificate_trusted(event), file=sys.stderr, flush=True)
        elif isinstance(event, NickRequired):
            if text:
                self.write(text)
            self.stdout.write(YOUR_NAME)
            self.stdout.flush()
            self._nick_wanted.set()
        elif isinstance(event, ConnectionLost):
            self.write(text or "")
            self.write(reconnect_text(event))
        elif text is not None:
            self.write(text)
        elif isinstance(event, Ready) and not self._announced_ready:
            self._announced_ready = True
            self.write(ALL_SET)
        elif isinstance(event, MessageAdded) and not event.message.own:
            where = None if event.active else event.buffer
            self.write(plain(message_fragments(event.message, where)))
        elif isinstance(event, HistoryLoaded) and self._reconnected:
            where = None if event.active else event.buffer
            for message in event.messages:
                if not message.own:
                    self.write(plain(message_fragments(message, where)))
        elif isinstance(event, OlderMessages):
            for message in event.messages:
                self.write(plain(message_fragments(message, event.buffer)))
        elif isinstance(event, Stopped):
            refusal = refusal_text(event)
            if refusal is not None:
                print(refusal, file=sys.stderr, flush=True)
