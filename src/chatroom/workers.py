"""``chatroom server --workers N``: N server processes on one port, one chat network.

The parent does no chat work. It::

    picks the port        (binds port 0 itself when asked for any free port, so
                           every worker gets the same one)
    opens the stores      once, then closes them: SQLite files are created (and
                           any database upgraded) before the workers race to it
    starts N workers      `chatroom server <same arguments> --worker K`, each in its
                           own session (Ctrl-C reaches the parent only), standard
                           input a pipe from the parent
    waits                 for SIGINT, SIGTERM, `q` + Enter, or a worker's exit;
                          SIGHUP is passed on to every worker (each reloads)
    stops them            SIGTERM to every worker, waits for all, exits 0

Each worker listens with SO_REUSEPORT (the kernel spreads connections over them)
and joins the network in Redis (``--cluster``, required). Only worker 0 serves the
web port: the others get ``--no-web``. A worker that exits unexpectedly is logged
and started again, once per worker; if it dies a second time the parent stops the
others and exits 1 (leave restarting the set to a supervisor such as systemd). A
worker whose parent dies, even by SIGKILL, sees its standard input close and
shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence

from chatroom.serve import _close_stores, _open_stores, _run_loop
from chatroom.server.config import Config
from chatroom.stopping import install_signals, watch_console

log = logging.getLogger("chatroom.server")

STOP_TIMEOUT = 30.0
"""Seconds the workers get to shut down in order before they are killed."""


def supervise(config: Config, arguments: Sequence[str], count: int) -> int:
    """Run ``count`` workers with the command-line ``arguments`` (starting with
    ``server``) until told to stop; return the exit code (0, or 1 if a worker
    failed twice)."""
    port, holder = _fixed_port(config.host, config.port)
    base = [sys.executable, "-m", "chatroom", *arguments, "-p", str(port)]
    try:
        return _run_loop(_prepare_and_supervise(config, base, count))
    finally:
        if holder is not None:
            holder.close()


def _fixed_port(host: str, port: int) -> tuple[int, socket.socket | None]:
    """``port``, or for 0 a free port held (bound, never listening, so it takes no
    connections) by a SO_REUSEPORT socket until the workers are gone."""
    if port != 0:
        return port, None
    family, kind, proto, _name, address = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
    holder = socket.socket(family, kind, proto)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind(address)
    chosen: int = holder.getsockname()[1]
    return chosen, holder


async def _spawn(base: list[str], index: int) -> asyncio.subprocess.Process:
    argv = [*base, "--worker", str(index)]
    if index > 0:
        argv.append("--no-web")
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=subprocess.PIPE, start_new_session=True
    )
    log.info("Started worker %d (pid %d)", index, process.pid)
    return process


async def _prepare_and_supervise(config: Config, base: list[str], count: int) -> int:
    stores = await _open_stores(config)
    if stores is None:
        return 1
    await _close_stores(*stores)
    return await _supervise(base, count)


async def _supervise(base: list[str], count: int) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    workers: dict[int, asyncio.subprocess.Process] = {}

    def request(_reason: str | None) -> None:
        if stop.is_set():  # a second signal: the workers exit at once too
            _signal_all(workers)
        stop.set()

    restore = install_signals(loop, request, lambda: _signal_all(workers, signal.SIGHUP))
    reader = watch_console(loop, request)
    failed = False
    restarted: set[int] = set()
    waits: dict[int, asyncio.Task[int]] = {}
    stopper = loop.create_task(stop.wait())
    try:
        for index in range(count):
            workers[index] = await _spawn(base, index)
            waits[index] = loop.create_task(workers[index].wait())
        while not stop.is_set():
            done, _ = await asyncio.wait(
                [stopper, *waits.values()], return_when=asyncio.FIRST_COMPLETED
            )
            for index, task in list(waits.items()):
                if task not in done or stop.is_set():
                    continue
                code = task.result()
                if index in restarted:
                    log.error("Worker %d exited again (status %s): stopping", index, code)
                    failed = True
                    del waits[index]
                    stop.set()
                    break
                log.error("Worker %d exited unexpectedly (status %s): restarting it", index, code)
                restarted.add(index)
                workers[index] = await _spawn(base, index)
                waits[index] = loop.create_task(workers[index].wait())
    finally:
        # Shutdown: every worker shuts down in order (its users get ERROR, the
        # network sees them quit); wait for all, then kill what is left.
        if reader is not None:
            loop.remove_reader(reader)
        stopper.cancel()
        _signal_all(workers)
        pending = [task for task in waits.values() if not task.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=STOP_TIMEOUT)
            if late:
                log.error("%d workers did not stop in time: killing them", len(late))
                for process in workers.values():
                    if process.returncode is None:
                        with contextlib.suppress(ProcessLookupError):
                            process.kill()
                await asyncio.wait(late)
        for process in workers.values():
            if process.stdin is not None:
                process.stdin.close()
        restore()
    log.info("All %d workers stopped", count)
    return 1 if failed else 0


def _signal_all(workers: dict[int, asyncio.subprocess.Process], sig: int = signal.SIGTERM) -> None:
    for process in workers.values():
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
