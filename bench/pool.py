"""The parent's handle on the worker processes.

:class:`WorkerPool` is a context manager: entering starts ``n`` worker processes (spawned, so
they share nothing with the parent but the pipe); leaving asks each to close its connections
and, failing that within a few seconds, terminates and then kills it. Only the processes the
pool started are ever signalled.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType

from bench.plan import CloseCmd, WorkerError
from bench.worker import worker_main


class WorkerFailed(Exception):
    """A worker did not answer in time, died, or reported an exception."""


class WorkerPool:
    """``n`` worker processes, each reached through its own pipe."""

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError("a pool needs at least one worker")
        self.n = n
        self._procs: list[BaseProcess] = []
        self._conns: list[Connection] = []

    def __enter__(self) -> WorkerPool:
        ctx = multiprocessing.get_context("spawn")
        try:
            for index in range(self.n):
                parent_end, child_end = ctx.Pipe()
                proc = ctx.Process(
                    target=worker_main,
                    args=(child_end,),
                    name=f"chatroom-bench-worker-{index}",
                    daemon=True,
                )
                proc.start()
                child_end.close()
                self._procs.append(proc)
                self._conns.append(parent_end)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids (for the report's CPU accounting)."""
        return [proc.pid for proc in self._procs if proc.pid is not None]

    def request(self, commands: list[object], timeout_s: float) -> list[object]:
        """Send ``commands[i]`` to worker ``i``; return the replies in the same order.

        Raises WorkerFailed if any worker does not reply within ``timeout_s`` (counted from
        the call), if its pipe breaks, or if it replies with a WorkerError.
        """
        if len(commands) != self.n:
            raise ValueError(f"{len(commands)} commands for {self.n} workers")
        for conn, command in zip(self._conns, commands, strict=True):
            try:
                conn.send(command)
            except OSError as exc:
                raise WorkerFailed(f"cannot reach a worker ({self._status()}): {exc}") from exc
        deadline = time.monotonic() + timeout_s
        replies: list[object] = []
        for index, conn in enumerate(self._conns):
            remaining = max(0.0, deadline - time.monotonic())
            if not conn.poll(remaining):
                raise WorkerFailed(f"worker {index} gave no answer within {timeout_s:.0f} s")
            try:
                reply = conn.recv()
            except (EOFError, OSError) as exc:
                raise WorkerFailed(f"worker {index} died ({self._status()})") from exc
            if isinstance(reply, WorkerError):
                raise WorkerFailed(f"worker {index}: {reply.message}")
            replies.append(reply)
        return replies

    def _status(self) -> str:
        codes = [proc.exitcode for proc in self._procs]
        return "exit codes " + ", ".join("running" if c is None else str(c) for c in codes)

    def stop(self) -> None:
        """Close every worker: politely (CloseCmd), then terminate, then kill. Idempotent."""
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.send(CloseCmd())
        deadline = time.monotonic() + 3.0
        for proc in self._procs:
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(2.0)
            if proc.is_alive():
                proc.kill()
                proc.join(2.0)
        for conn in self._conns:
            conn.close()
        self._procs.clear()
        self._conns.clear()
