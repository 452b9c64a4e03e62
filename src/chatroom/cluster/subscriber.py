"""A subscription to one Redis node, read in bulk: the bridge's hot read path.

redis-py's ``PubSub`` hands out one message per ``await get_message()``, each
through its retry and timeout layers, and the bridge read every event that way
(its own echoes included): about 50 µs of CPU per event. :class:`NodeSubscriber`
holds one connection (opened by redis-py, which knows the URL forms, TLS and
authentication), reads whatever the socket has buffered in one ``read``, feeds
it to hiredis's C parser and returns every complete reply in one list: no await
and no Python object per event beyond a tuple.

A :data:`Message` is ``(kind, channel, data)`` as Redis sends it, all bytes:
``kind`` is ``b"message"``, ``b"smessage"``, ``b"subscribe"``, ``b"ssubscribe"``,
``b"unsubscribe"`` or ``b"sunsubscribe"`` (for the last four ``data`` is the
number of subscriptions, an int), or :data:`ERROR` for an error reply (``data``
its text, ``channel`` empty): a refused ``SSUBSCRIBE`` on a Redis Cluster
(``MOVED``), say. What Redis sends that is not RESP is a lost connection
(:class:`~redis.exceptions.ConnectionError`), never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError

__all__ = ["ERROR", "Message", "NodeSubscriber", "OneNode"]

Message = tuple[bytes, bytes, Any]
ERROR = b"error"

_CHUNK = 1 << 16  # one read takes whatever the socket holds, up to this


class NodeSubscriber:
    """One subscribed connection. ``connection`` is a redis-py asyncio connection
    not yet connected (from a pool's ``make_connection()``, say): :meth:`open`
    connects it (its handshake, AUTH and SELECT included), then this reads and
    writes its streams directly."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._parser = hiredis.Reader()

    @property
    def where(self) -> tuple[str, int] | None:
        """The node's host and port (None for a Unix socket)."""
        port = getattr(self.connection, "port", None)
        return None if port is None else (self.connection.host, int(port))

    async def open(self) -> None:
        """Connect; raises :class:`~redis.exceptions.RedisError` or :class:`OSError`."""
        await self.connection.connect()
        # redis-py's streams, past its parser: from here on only pub/sub replies
        # come, and they are parsed here, in bulk.
        self._reader, self._writer = self.connection._reader, self.connection._writer

    def send(self, *command: str) -> None:
        """Write one command (``SUBSCRIBE``, ``SSUBSCRIBE``, …); its confirmation
        comes back through :meth:`read`. Raises if the connection is closed."""
        if self._writer is None or self._writer.is_closing():
            raise RedisConnectionError("the subscription's connection is closed")
        self._writer.write(hiredis.pack_command(command))  # type: ignore[arg-type]  # any length

    async def read(self) -> list[Message]:
        """Every reply the socket has (at least one; waits for it)."""
        if self._reader is None:
            raise RedisConnectionError("the subscription's connection is closed")
        parser = self._parser
        out: list[Message] = []
        while not out:
            try:
                data = await self._reader.read(_CHUNK)
            except OSError as exc:
                raise RedisConnectionError(f"the subscription's connection broke: {exc}") from None
            if not data:
                raise RedisConnectionError("Redis closed the subscription's connection")
            parser.feed(data)
            try:
                # Hot loop, written for speed: one C call per reply.
                while (reply := parser.gets()) is not False:
                    if isinstance(reply, list) and len(reply) == 3:  # RESP3: a push
                        out.append((reply[0], reply[1], reply[2]))
                    elif isinstance(reply, hiredis.ReplyError):
                        out.append((ERROR, b"", str(reply)))
                    # Anything else (a PONG, say) is not ours to hand on.
            except hiredis.ProtocolError as exc:
                raise RedisConnectionError(f"Redis sent what is not RESP: {exc}") from None
        return out

    def drop(self) -> None:
        """Close the socket at once: a pending :meth:`read` fails (a lost connection)."""
        if self._writer is not None:
            self._writer.close()

    async def close(self) -> None:
        """Disconnect (idempotent, never raises for a connection already broken)."""
        self._reader = self._writer = None
        with contextlib.suppress(OSError, RedisConnectionError):
            await self.connection.disconnect()


class OneNode:
    """Channels subscribed on one node, read in bulk; after a lost connection the
    next read connects again (``make()`` gives a fresh redis-py connection, to the
    same node or, on a cluster, the next one) and subscribes to every channel again,
    so the bridge sees the confirmations come back and catches up from history."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._plain: list[str] = []
        self._shard: list[str] = []
        self._node: NodeSubscriber | None = None
        self._opening = asyncio.Lock()

    @property
    def where(self) -> tuple[str, int] | None:
        return None if self._node is None else self._node.where

    async def subscribe(self, *channels: str) -> None:
        self._plain += [c for c in channels if c not in self._plain]
        node, fresh = await self._ensure()
        if not fresh:
            node.send("SUBSCRIBE", *channels)

    async def ssubscribe(self, *channels: str) -> None:
        self._shard += [c for c in channels if c not in self._shard]
        node, fresh = await self._ensure()
        if not fresh:
            for channel in channels:  # one slot per command on a cluster
                node.send("SSUBSCRIBE", channel)

    async def unsubscribe(self, *channels: str) -> None:
        self._plain = [c for c in self._plain if c not in channels]
        self._quietly("UNSUBSCRIBE", *channels)

    async def sunsubscribe(self, *channels: str) -> None:
        self._shard = [c for c in self._shard if c not in channels]
        for channel in channels:
            self._quietly("SUNSUBSCRIBE", channel)

    async def get_messages(self, timeout: float | None) -> list[Message]:
        """What arrived (an empty list after ``timeout`` seconds of silence; None
        waits as long as it takes: a timer per read costs two system calls on
        Python 3.11, where asking for the running loop checks the process id);
        raises :class:`~redis.exceptions.ConnectionError` for a lost connection
        (or one that cannot be made again yet)."""
        node, _ = await self._ensure()
        try:
            if timeout is None:
                return await node.read()
            async with asyncio.timeout(timeout):
                return await node.read()
        except TimeoutError:
            return []
        except RedisConnectionError:
            await self._lose(node)
            raise

    def drop(self) -> None:
        """Cut the connection (it went deaf): the next read fails, then reconnects."""
        if self._node is not None:
            self._node.drop()

    async def aclose(self) -> None:
        if self._node is not None:
            await self._lose(self._node)

    def _quietly(self, *command: str) -> None:
        if self._node is not None:
            with contextlib.suppress(RedisConnectionError):  # resubscribed without it
                self._node.send(*command)

    async def _ensure(self) -> tuple[NodeSubscriber, bool]:
        """The open connection, and whether it was opened (and subscribed) just now."""
        async with self._opening:
            if self._node is not None:
                return self._node, False
            node = NodeSubscriber(self._make())
            try:
                await node.open()
                if self._plain:
                    node.send("SUBSCRIBE", *self._plain)
                for channel in self._shard:
                    node.send("SSUBSCRIBE", channel)
            except BaseException:
                await node.close()
                raise
            self._node = node
            return node, True

    async def _lose(self, node: NodeSubscriber) -> None:
        if self._node is node:
            self._node = None
        await node.close()
