"""A worker process of the load generator: many clients on one event loop (uvloop if present).

The parent talks to a worker over a :mod:`multiprocessing` pipe, one command at a time:
:class:`~bench.plan.ConnectCmd`, then :class:`~bench.plan.RunCmd` (any number
of times), then :class:`~bench.plan.CloseCmd`. Each command gets exactly one reply:
its result, or a :class:`~bench.plan.WorkerError`. Between commands the loop keeps
running, so clients answer PINGs. The worker ends after CloseCmd or when the parent's end of
the pipe closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import resource
import socket
import time
from collections import Counter
from multiprocessing.connection import Connection

from bench.ircclient import BenchClient, ClientFailed, Tally
from bench.plan import (
    ClientSpec,
    CloseCmd,
    ConnectCmd,
    ConnectResult,
    RunCmd,
    RunResult,
    WorkerError,
)

#: Receive buffer of a slow reader, so the server's queue for it fills within seconds.
SLOW_RCVBUF = 4096
#: How often a waiting worker checks whether a run phase is over.
POLL_S = 0.05
#: Longest wait for a command from the parent before the worker gives up (a day).
MAX_IDLE_S = 86400.0


def raise_nofile_limit() -> int:
    """Raise this process's open-file soft limit to its hard limit; return the new limit.

    Child processes inherit it, so the launcher calls this once before starting servers.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


CLIENTS_PER_SOURCE = 20_000
"""Clients connecting from one loopback address: below its 28,000 ephemeral ports
(``net.ipv4.ip_local_port_range``), so 50,000 clients do not run out of them."""


def source_address(host: str, gid: int) -> str | None:
    """The loopback address client ``gid`` connects from: the system's choice (None) for
    the first :data:`CLIENTS_PER_SOURCE`, then 127.0.0.2, 127.0.0.3, ..."""
    extra = gid // CLIENTS_PER_SOURCE
    if extra == 0 or not host.startswith("127."):
        return None
    return f"127.0.{(1 + extra) // 256}.{(1 + extra) % 256}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ClientFailed):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"connect: {errno.errorcode.get(exc.errno, str(exc.errno))}"
    return type(exc).__name__


class Worker:
    """The clients of one worker process and the commands that drive them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.clients: dict[int, BenchClient] = {}
        self.tally = Tally()

    async def connect(self, cmd: ConnectCmd) -> ConnectResult:
        """Connect, register and join ``cmd.specs``; see ConnectCmd."""
        await _sleep_until(cmd.start_at_ns)
        cpu0, wall0 = time.process_time(), time.monotonic_ns()
        failures: Counter[str] = Counter()
        register_ns: list[int] = []
        ready: list[int] = []
        gate = asyncio.Semaphore(max(1, cmd.concurrency))

        async def one(spec: ClientSpec, port: int) -> None:
            async with gate:
                began = time.monotonic_ns()
                try:
                    async with asyncio.timeout(cmd.client_timeout_s):
                        await self._connect_one(cmd.host, port, spec)
                except (ClientFailed, OSError, TimeoutError) as exc:
                    failures[_reason(exc)] += 1
                    client = self.clients.pop(spec.gid, None)
                    if client is not None:
                        client.abort()
                else:
                    register_ns.append(time.monotonic_ns() - began)
                    ready.append(spec.gid)

        tasks = [
            asyncio.ensure_future(one(spec, port))
            for spec, port in zip(cmd.specs, cmd.ports, strict=True)
        ]
        remaining = max(0.0, (cmd.deadline_ns - time.monotonic_ns()) / 1e9)
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=remaining)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5.0)
                failures["not done by the deadline"] += len(pending)
        ready_set = {gid for gid in ready if not self.clients[gid].closed}
        for gid in [gid for gid in self.clients if gid not in ready_set]:
            self.clients.pop(gid).abort()
        end = time.monotonic_ns()
        return ConnectResult(
            ready=tuple(sorted(ready_set)),
            failures=dict(failures),
            register_ns=tuple(register_ns),
            end_ns=end,
            cpu_s=time.process_time() - cpu0,
            wall_s=(end - wall0) / 1e9,
        )

    async def _connect_one(self, host: str, port: int, spec: ClientSpec) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if spec.slow:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RCVBUF)
            source = source_address(host, spec.gid)
            if source is not None:
                sock.bind((source, 0))
            await self.loop.sock_connect(sock, (host, port))
            _transport, client = await self.loop.create_connection(
                lambda: BenchClient(spec, self.tally, self.loop), sock=sock
            )
        except BaseException:
            sock.close()
            raise
        self.clients[spec.gid] = client
        await client.ready

    async def run(self, cmd: RunCmd) -> RunResult:
        """Send the planned messages and count deliveries; see RunCmd."""
        tally = self.tally = Tally(cmd.max_samples)
        tally.watch_nick = cmd.watch_nick.encode() if cmd.watch_nick else None
        start = self.loop.time() + (cmd.start_at_ns - time.monotonic_ns()) / 1e9
        slow: BenchClient | None = None
        for client in self.clients.values():
            client.tally = tally
            client.expect(cmd.expected.get(client.spec.gid, -1))
            client.schedule_sends(start, cmd.msg_bytes)
            if client.spec.slow:
                slow = client
                client.stop_reading_at(start)
        if tally.outstanding <= 0:
            tally.all_received.set()
        await _sleep_until(cmd.start_at_ns)
        cpu0, wall0 = time.process_time(), time.monotonic_ns()
        # Bounded in time by the deadline. Polling only decides when to stop: the figures come
        # from the receive times the clients recorded, so its granularity does not show.
        while True:
            now = time.monotonic_ns()
            if now >= cmd.deadline_ns:
                break
            if now >= cmd.sends_end_ns:
                if tally.all_received.is_set() and (slow is None or slow.closed):
                    break
                last = max(tally.last_recv_ns, cmd.sends_end_ns)
                if now - last > cmd.quiet_s * 1e9:
                    break
            await asyncio.sleep(POLL_S)
        cpu = time.process_time() - cpu0
        stopped = time.monotonic_ns()
        for client in self.clients.values():
            client.cancel_timers()
        expected = lost = extra = 0
        for client in self.clients.values():
            if client.expected >= 0:
                expected += client.expected
                lost += max(0, client.expected - client.received)
                extra += max(0, client.received - client.expected)
        return RunResult(
            sent=tally.sent,
            received=tally.received,
            expected=expected,
            lost=lost,
            extra=extra,
            latencies_ns=tuple(tally.latencies_ns),
            samples_dropped=tally.samples_dropped,
            duplicates=tally.duplicates,
            first_send_ns=tally.first_send_ns,
            last_recv_ns=tally.last_recv_ns,
            disconnects=dict(tally.disconnects),
            slow_reset_ns=slow.drop_ns if slow is not None else 0,
            slow_quit_seen_ns=tally.quit_seen_ns,
            slow_present=slow is not None,
            cpu_s=cpu,
            # The active window: until the last delivery, not the idle wait that followed.
            wall_s=max(1e-9, ((tally.last_recv_ns or stopped) - wall0) / 1e9),
            labelled_ns={label: tuple(ns) for label, ns in tally.labelled_ns.items()},
        )

    async def close(self) -> None:
        """QUIT and close every connection, then give the writes a moment to leave."""
        for client in self.clients.values():
            client.quit()
        self.clients.clear()
        await asyncio.sleep(0.2)


async def _sleep_until(when_ns: int) -> None:
    delay = (when_ns - time.monotonic_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)


async def _receive(conn: Connection, loop: asyncio.AbstractEventLoop) -> object:
    """Wait on the loop (not in a thread) for the next object from the parent."""
    future: asyncio.Future[object] = loop.create_future()
    fd = conn.fileno()

    def readable() -> None:
        loop.remove_reader(fd)
        if future.done():
            return
        try:
            # libuv makes a polled fd non-blocking; a message bigger than the pipe buffer
            # must be read whole, so block until it is (the parent is writing it now).
            os.set_blocking(fd, True)
            future.set_result(conn.recv())
        except (EOFError, OSError) as exc:
            future.set_exception(exc)

    loop.add_reader(fd, readable)
    try:
        async with asyncio.timeout(MAX_IDLE_S):
            return await future
    finally:
        loop.remove_reader(fd)


async def serve(conn: Connection) -> None:
    """Answer the parent's commands until CloseCmd or until the pipe closes."""
    loop = asyncio.get_running_loop()
    worker = Worker(loop)
    try:
        while True:
            try:
                cmd = await _receive(conn, loop)
            except (EOFError, OSError, TimeoutError):
                return
            reply: object
            try:
                if isinstance(cmd, ConnectCmd):
                    reply = await worker.connect(cmd)
                elif isinstance(cmd, RunCmd):
                    reply = await worker.run(cmd)
                elif isinstance(cmd, CloseCmd):
                    await worker.close()
                    conn.send(None)
                    return
                else:
                    reply = WorkerError(f"unknown command {type(cmd).__name__}")
            except Exception as exc:  # reported to the parent, which decides
                reply = WorkerError(f"{type(exc).__name__}: {exc}")
            conn.send(reply)
    finally:
        for client in worker.clients.values():
            client.abort()


def worker_main(conn: Connection) -> None:
    """Entry point of a worker process: raise the fd limit, run :func:`serve` on uvloop."""
    raise_nofile_limit()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(conn))
    else:
        uvloop.run(serve(conn))
    conn.close()
