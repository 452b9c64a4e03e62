"""How this process reaches Redis: one server, or a Redis Cluster.

The rest of the bridge sees a client with redis-py's command methods and
pipelines, and a :class:`Subscription` (``subscribe``, ``ssubscribe``,
``get_messages``, …) that hands over every message that arrived at once (read in
bulk: :mod:`.subscriber`): the same on one Redis and on a cluster.
:func:`parse_target` reads the ``--cluster`` setting, :func:`connect` makes the
client and :func:`subscription` the subscription.

**On a Redis Cluster** (``redis+cluster://host:port[,host:port…]``, or
``rediss+cluster://`` for TLS; any node of the cluster will do as a seed, give
several in case one is down):

* *Keys.* Every key of the network's state carries the one hash tag
  ``{chatroom}`` (:mod:`.keys`), so it lives in one slot, on one master: each Lua
  script of :mod:`.scripts` may touch several keys (a nick, its owner's heartbeat
  and owned set; a channel's state and members), and what the scripts store and
  publish keeps the order it has on one Redis. The bulk of the traffic, channel
  messages, is spread over every master by its shard channel
  (``chatroom:{<channel>}``).
* *Network-wide events* (``chatroom:events``, the per-process inboxes) are plain
  ``PUBLISH``: a cluster forwards it to every node, so a process hears it on any
  node it subscribed on, and the scripts that store a state and publish it in one
  step can go on doing so (a shard channel would have to hash to the slot of
  every key the script touches). redis-py refuses ``PUBLISH`` in a cluster
  pipeline; :class:`_Pipeline` sends it as a one-line script on the ``{chatroom}``
  slot instead, so every event of this process reaches the cluster through one
  node, in order.
* *Subscriptions.* The plain channels are subscribed on one node (any, replicas
  too), read in bulk as on one Redis; if that node fails,
  :class:`_ClusterSubscription` moves to the next one and subscribes again (the
  bridge sees a lost connection and catches up from history, as after any
  outage). Shard channels go to the node that owns their slot, through redis-py's
  ``ClusterPubSub``, which follows MOVED and failovers (one message per read).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.asyncio.connection import Connection, SSLConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import (
    ClusterDownError,
    RedisClusterException,
    RedisError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

from chatroom.cluster.keys import STATE_TAG
from chatroom.cluster.subscriber import Message, OneNode

__all__ = ["RedisTarget", "Subscription", "connect", "parse_target", "safe", "subscription"]

CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")
PLAIN_SCHEMES = ("redis", "rediss", "unix")

# PUBLISH as a script, so a cluster pipeline routes it by a key (see the docstring).
_PUBLISH = "return redis.call('PUBLISH', ARGV[1], ARGV[2])"
_BUS = f"{STATE_TAG}:bus"  # never written: only its slot matters


@dataclass(frozen=True)
class RedisTarget:
    """Where the network's Redis is: one server (``url``) or a cluster (``seeds``)."""

    url: str
    seeds: tuple[tuple[str, int], ...] = ()
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @property
    def is_cluster(self) -> bool:
        return bool(self.seeds)


def parse_target(text: str) -> RedisTarget:
    """Read a ``--cluster`` setting; raises :class:`ValueError` saying what is wrong.

    ``redis://``, ``rediss://`` and ``unix://`` name one Redis (redis-py reads them);
    ``redis+cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]`` (``rediss+cluster``
    with TLS) names the seed nodes of a Redis Cluster, and so does a bare list of
    them (``HOST:PORT[,HOST:PORT…]``).
    """
    if "://" not in text and ":" in text:
        text = "redis+cluster://" + text
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in CLUSTER_SCHEMES + PLAIN_SCHEMES:
        raise ValueError(
            f"{safe(text)!r} is not a redis://, rediss://, unix:// or redis+cluster:// URL"
        )
    if scheme in PLAIN_SCHEMES:
        return RedisTarget(text)
    credentials, at, where = rest.rpartition("@")
    hosts, _, path = where.partition("?")[0].partition("/")
    if path not in ("", "0"):
        raise ValueError("a Redis Cluster has one database only: leave the /DB out of the URL")
    seeds = tuple(_seed(part) for part in hosts.split(",") if part.strip())
    if not seeds:
        raise ValueError(f"{safe(text)!r} names no node: give host:port[,host:port…]")
    username = password = None
    if at:
        user, colon, secret = credentials.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
    return RedisTarget(text, seeds, username, password, tls=scheme == "rediss+cluster")


def _seed(part: str) -> tuple[str, int]:
    # urlsplit understands [::1]:7000 as well as host:7000.
    parsed = urlsplit("//" + part.strip())
    try:
        port = parsed.port
    except ValueError:
        port = None
    if not parsed.hostname or port is None or port == 0:
        raise ValueError(f"{part.strip()!r} is not host:port (a seed node of the cluster)")
    return parsed.hostname, port


def safe(url: str) -> str:
    """``url`` without its password, for logs and errors."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest


def _retry() -> Retry:
    """Each command is tried again up to three times within about half a second, on
    a fresh connection: enough to ride over a restarted Redis, short enough that a
    registration or the heartbeat does not hang while Redis is away (redis-py's
    default tries for seconds)."""
    return Retry(ExponentialWithJitterBackoff(cap=0.25, base=0.02), 3)


async def connect(target: RedisTarget) -> Any:
    """A client for ``target``, connected (raises :class:`RedisError` or
    :class:`OSError` if it cannot be reached). The caller ``aclose()``\\ s it."""
    if not target.is_cluster:
        client = aioredis.from_url(
            target.url, socket_connect_timeout=2, socket_timeout=3, retry=_retry()
        )
        await client.ping()
        return client
    cluster = _Cluster(
        startup_nodes=[ClusterNode(host, port) for host, port in target.seeds],
        username=target.username,
        password=target.password,
        ssl=target.tls,
        socket_connect_timeout=2,
        socket_timeout=3,
        retry=_retry(),
    )
    try:
        await cluster.initialize()
    except RedisClusterException as exc:
        await cluster.aclose()
        raise RedisConnectionError(str(exc)) from None
    except BaseException:
        await cluster.aclose()
        raise
    return cluster


# What a cluster answers while a slot has no master (a failover under way): for
# the bridge that is Redis being away, retried and caught up as any outage.
_AWAY = (ClusterDownError, TryAgainError, RedisConnectionError)


def _away(exc: BaseException) -> RedisConnectionError:
    return RedisConnectionError(f"the Redis Cluster is failing over: {exc}")


class _Cluster(RedisCluster):
    """redis-py's cluster client, with pipelines that can publish (:class:`_Pipeline`)."""

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> Any:
        return _Pipeline(self, transaction)  # type: ignore[abstract]

    async def publish(self, channel: Any, message: Any, **kwargs: Any) -> Any:
        return await self.eval(_PUBLISH, 1, _BUS, channel, message)

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_command(*args, **kwargs)
        except (RedisClusterException, ClusterDownError, TryAgainError) as exc:
            raise _away(exc) from None


class _Pipeline(ClusterPipeline):
    """A cluster pipeline whose ``publish`` goes through the ``{chatroom}`` slot."""

    def publish(self, channel: Any, message: Any, **kwargs: Any) -> Any:
        return self.eval(_PUBLISH, 1, _BUS, channel, message)

    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> Any:
        """As redis-py's, but a batch that met a failover fails whole as a lost
        connection (the bridge keeps it for later), never as refused commands."""
        try:
            results = await super().execute(raise_on_error, allow_redirections)
        except (RedisClusterException, ClusterDownError, TryAgainError) as exc:
            raise _away(exc) from None
        for result in results:
            if isinstance(result, _AWAY):
                raise _away(result)
        return results


class Subscription(Protocol):
    """What the bridge uses of a subscription: one Redis's :class:`~.subscriber.OneNode`,
    or on a cluster :class:`_ClusterSubscription`. ``get_messages`` hands over
    every message that arrived, as :data:`~.subscriber.Message` tuples."""

    @property
    def where(self) -> tuple[str, int] | None: ...

    async def subscribe(self, *channels: str) -> None: ...
    async def unsubscribe(self, *channels: str) -> None: ...
    async def ssubscribe(self, *channels: str) -> None: ...
    async def sunsubscribe(self, *channels: str) -> None: ...
    async def get_messages(self, timeout: float | None) -> list[Message]: ...
    def drop(self) -> None: ...
    async def aclose(self) -> None: ...


def subscription(client: Any, target: RedisTarget) -> Subscription:
    """A subscription over ``client`` (from :func:`connect` with ``target``): its
    own connection, made as the client's are (URL, TLS, password)."""
    if not target.is_cluster:
        return OneNode(client.connection_pool.make_connection)
    return _ClusterSubscription(client, target)


class _ClusterSubscription(Subscription):
    """Plain channels on one node, shard channels on the nodes owning their slots,
    read as one stream (two reader tasks feed one queue)."""

    def __init__(self, cluster: RedisCluster, target: RedisTarget) -> None:
        self._cluster = cluster
        self._target = target
        self._node = 0  # which of the cluster's nodes to try next
        self._plain = OneNode(self._next_node)
        self._sharded = cluster.pubsub()
        self._queue: asyncio.Queue[list[Message] | BaseException] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._failed: BaseException | None = None

    @property
    def where(self) -> tuple[str, int] | None:
        return self._plain.where

    async def subscribe(self, *channels: str) -> None:
        await self._plain.subscribe(*channels)
        self._start()

    async def unsubscribe(self, *channels: str) -> None:
        await self._plain.unsubscribe(*channels)

    async def ssubscribe(self, *channels: str) -> None:
        try:
            await self._sharded.ssubscribe(*channels)
        except RedisClusterException as exc:  # no master for the slot yet
            raise _away(exc) from None
        self._start()

    async def sunsubscribe(self, *channels: str) -> None:
        try:
            await self._sharded.sunsubscribe(*channels)
        except RedisClusterException as exc:
            raise _away(exc) from None

    async def get_messages(self, timeout: float | None) -> list[Message]:
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise failed
        try:
            item = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return []
        if isinstance(item, BaseException):
            raise item
        while not self._queue.empty():  # everything both readers have so far
            more = self._queue.get_nowait()
            if isinstance(more, BaseException):
                self._failed = more  # after what came before it
                break
            item += more
        return item

    def drop(self) -> None:
        self._plain.drop()

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._plain.aclose()
        with contextlib.suppress(RedisError, OSError):
            await self._sharded.aclose()

    def _next_node(self) -> Any:
        """A connection to the next node of the cluster, for the plain channels: a
        ``PUBLISH`` reaches every node, replicas included."""
        nodes = self._cluster.get_nodes() or [
            ClusterNode(host, port) for host, port in self._target.seeds
        ]
        node = nodes[self._node % len(nodes)]
        self._node += 1
        kind = SSLConnection if self._target.tls else Connection
        return kind(
            host=node.host,
            port=int(node.port),
            username=self._target.username,
            password=self._target.password,
            socket_connect_timeout=2,
        )

    def _start(self) -> None:
        if not self._tasks:
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(self._pump_plain()), loop.create_task(self._pump())]

    async def _pump_plain(self) -> None:
        """Read the plain channels; a node that fails is replaced by the next one."""
        while True:
            try:
                messages = await self._plain.get_messages(timeout=1.0)
            except (RedisError, OSError) as exc:
                self._queue.put_nowait(exc)  # the bridge counts an outage, catches up
                await asyncio.sleep(0.2)
                continue
            if messages:
                self._queue.put_nowait(messages)

    async def _pump(self) -> None:
        """Read the shard channels (redis-py follows their slots' owners)."""
        while True:
            try:
                message = await self._sharded.get_sharded_message(timeout=1.0)
            except (RedisError, OSError, RedisClusterException) as exc:
                self._queue.put_nowait(exc if isinstance(exc, RedisError) else _away(exc))
                await asyncio.sleep(0.2)
                continue
            if message is not None:
                kind, channel, data = message["type"], message["channel"], message["data"]
                self._queue.put_nowait([(_bytes(kind), _bytes(channel), data)])
            elif not self._sharded.node_pubsub_mapping:
                await asyncio.sleep(0.2)  # nothing subscribed yet: nothing to read


def _bytes(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)
