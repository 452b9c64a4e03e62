"""Publishing chat messages without waiting for Redis: the bridge's hot write path.

A redis-py pipeline costs about 130 µs of CPU per ``execute`` (building command
objects, packing, then awaiting and parsing every reply), and at a chat's pace a
loop turn rarely holds more than one message: the writer paid that once per
message and waited a round trip before the next. :class:`Publisher` writes the
``PUBLISH``/``SPUBLISH`` commands of a batch to its own connection in one write
and returns at once; a task reads the replies (hiredis, in bulk) and only counts
them. A refused command is logged; a lost connection is reported through
``on_lost`` at once (the bridge counts an outage, and the others catch up from
history, as for a failed pipeline).

**Order.** Redis runs the commands of one connection in order, but the bridge's
other writes (scripts, hash updates: everything but plain messages) go through
redis-py's connections. So before the writer sends anything else it awaits
:meth:`Publisher.settled`, which returns once Redis answered every message
written before: what a process did keeps its order for every other process.

Used on one Redis; on a Redis Cluster every publish goes through the cluster
pipeline (:mod:`.connect`), which routes each shard channel to its master.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["Publisher"]

log = logging.getLogger("chatroom.cluster")

_CHUNK = 1 << 16

REPLY_TIMEOUT = 3.0
"""Seconds Redis may stay silent while publishes wait for replies (as the client's
socket timeout): then the connection counts as lost (a Redis gone off the network
answers nothing and raises nothing)."""


class Publisher:
    """Fire-and-count publishing on one connection (see the module docstring).
    ``make()`` gives a fresh, unconnected redis-py asyncio connection."""

    def __init__(self, make: Callable[[], Any], on_lost: Callable[[Exception], None]) -> None:
        self._make = make
        self._on_lost = on_lost
        self._connection: Any = None
        self._writer: asyncio.StreamWriter | None = None
        self._replies: asyncio.Task[None] | None = None
        self._waiting = 0  # commands written, not answered yet
        self._settled = asyncio.Event()
        self._settled.set()
        # Made in the loop that runs it. Kept: asking asyncio for the running loop
        # costs a system call on Python 3.11 (a process id check), per batch here.
        self._loop = asyncio.get_running_loop()
        self._quiet_since = 0.0  # loop time of the last reply, or first unanswered write
        self.reply_timeout = REPLY_TIMEOUT
        self.refused = 0
        """Commands Redis answered with an error (each logged)."""

    async def send(self, commands: list[tuple[str, str, bytes]]) -> None:
        """Write ``commands`` in one write (connecting first if needed: raises
        :class:`~redis.exceptions.RedisError` or :class:`OSError` if it cannot)."""
        self._check_answering()
        if self._writer is None:
            await self._connect()
        assert self._writer is not None
        if not self._waiting:
            self._quiet_since = self._loop.time()
        pack = hiredis.pack_command
        self._writer.write(b"".join(pack(c) for c in commands))  # type: ignore[arg-type]
        self._waiting += len(commands)
        self._settled.clear()

    async def settled(self) -> None:
        """Return once Redis answered every command written so far (or the
        connection was lost: those commands are then reported, not waited for).
        Raises :class:`~redis.exceptions.TimeoutError` if Redis stays silent."""
        try:
            await asyncio.wait_for(self._settled.wait(), self.reply_timeout)
        except TimeoutError:
            self._check_answering()
            await self._settled.wait()  # answered just now

    def _check_answering(self) -> None:
        """Raise (and drop the connection) if replies are overdue."""
        if not self._waiting:
            return
        silent = self._loop.time() - self._quiet_since
        if silent >= self.reply_timeout:
            waiting = self._waiting
            self._abandon()
            raise RedisTimeoutError(f"Redis left {waiting} publishes unanswered {silent:.1f} s")

    def _forget(self) -> tuple[asyncio.Task[None] | None, Any]:
        """Let go of the connection and stop its reply task; whoever waits for replies
        stops waiting. Returns both, for the caller to close."""
        task, connection = self._replies, self._connection
        self._replies = self._connection = self._writer = None
        self._waiting = 0
        self._settled.set()
        if task is not None:
            task.cancel()
        return task, connection

    def _abandon(self) -> None:
        """Drop the connection now; its reply task ends in the background."""
        _, connection = self._forget()
        if connection is not None and connection._writer is not None:
            connection._writer.close()

    async def close(self) -> None:
        """Stop reading replies and disconnect (idempotent)."""
        await self._drop()

    async def _connect(self) -> None:
        connection = self._make()
        await connection.connect()
        # redis-py's handshake done, its streams are read and written here.
        self._connection, self._writer = connection, connection._writer
        self._replies = self._loop.create_task(self._read_replies(connection._reader))

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        parser = hiredis.Reader()
        try:
            while data := await reader.read(_CHUNK):
                parser.feed(data)
                answered = 0
                while (reply := parser.gets()) is not False:
                    answered += 1
                    if isinstance(reply, hiredis.ReplyError):
                        self.refused += 1
                        log.warning("Redis refused a publish: %s", reply)
                self._waiting -= answered
                self._quiet_since = self._loop.time()
                if self._waiting <= 0:
                    self._waiting = 0
                    self._settled.set()
            failure = RedisConnectionError("Redis closed the publishing connection")
        except (OSError, hiredis.ProtocolError) as exc:
            failure = RedisConnectionError(f"the publishing connection broke: {exc}")
        lost = self._waiting
        self._replies = None  # this task ends here: _drop must not wait for it
        await self._drop()
        log.warning("%s (%d messages unanswered)", failure, lost)
        self._on_lost(failure)

    async def _drop(self) -> None:
        """Forget the connection and close it, once its reply task has ended."""
        task, connection = self._forget()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if connection is not None:
            with contextlib.suppress(OSError, RedisConnectionError):
                await connection.disconnect()
