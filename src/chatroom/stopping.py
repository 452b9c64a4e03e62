"""What tells a running server to stop (or reload): SIGINT and SIGTERM, SIGHUP, `q`
and Enter on its console (the tutorial's way), or, for a ``--workers`` child, the end
of its parent's pipe. Shared by one server process (serve.py) and the parent of
workers (workers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable

log = logging.getLogger("chatroom.server")


class StopRequest:
    """Set once by a signal or the console; a second signal forces exit."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.reason = "Server shutting down"

    def request(self, reason: str | None = None) -> None:
        if self.event.is_set():
            log.warning("Forced exit")
            logging.shutdown()
            os._exit(130)
        if reason:
            self.reason = reason
        self.event.set()


def install_signals(
    loop: asyncio.AbstractEventLoop,
    request: Callable[[str | None], None],
    hangup: Callable[[], object] | None = None,
) -> Callable[[], None]:
    """Route SIGINT and SIGTERM to a stop request, and SIGHUP to ``hangup`` (a
    reload) if given; return a function restoring them."""
    installed = []
    handlers: list[tuple[signal.Signals, Callable[..., object], tuple[object, ...]]] = [
        (signal.SIGINT, request, (None,)),
        (signal.SIGTERM, request, (None,)),
    ]
    if hangup is not None and hasattr(signal, "SIGHUP"):
        handlers.append((signal.SIGHUP, hangup, ()))
    for sig, handler, args in handlers:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, handler, *args)
            installed.append(sig)

    def restore() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return restore


def watch_parent(loop: asyncio.AbstractEventLoop, request: Callable[[str | None], None]) -> int:
    """A worker's standard input is a pipe from its parent: end of file (the parent
    exited, however it died) is a stop request."""
    fd = sys.stdin.fileno()

    def on_input() -> None:
        if not os.read(fd, 4096):
            loop.remove_reader(fd)
            request(None)

    loop.add_reader(fd, on_input)
    return fd


def watch_console(
    loop: asyncio.AbstractEventLoop, request: Callable[[str | None], None]
) -> int | None:
    """On an interactive console, `q` + Enter stops the server (the tutorial's way)."""
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        return None
    fd = stdin.fileno()

    def on_input() -> None:
        text = stdin.readline()
        if text == "":  # console closed
            loop.remove_reader(fd)
        elif text.strip().lower() == "q":
            request(None)
        elif text.strip():
            print("Type q and Enter to shut the server down.", file=sys.stderr)

    loop.add_reader(fd, on_input)
    print("Type q and Enter to shut the server down.", file=sys.stderr)
    return fd


def watch_input(
    loop: asyncio.AbstractEventLoop,
    request: Callable[[str | None], None],
    *,
    worker: bool,
    console: bool,
) -> int | None:
    """A worker watches its parent's pipe, a server on a terminal its console."""
    if worker:
        return watch_parent(loop, request)
    return watch_console(loop, request) if console else None
