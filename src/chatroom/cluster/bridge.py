"""The Redis bridge: this process's link to the other processes of its network.

What it keeps in Redis is listed in :mod:`.keys`; the records in :mod:`.records`;
the Lua scripts in :mod:`.scripts`. :class:`RedisBridge` is built in layers (see
:mod:`.state`): this module holds opening and closing, the
:class:`~chatroom.server.network.Network` protocol and the reader; :mod:`.writer`
the writer; :mod:`.liveness` the heartbeat, snapshot, cleanup and re-publishing;
:mod:`.recovery` losing and regaining Redis.

Everything this process writes goes through one queue and one writer task, so
the other processes see its events in the order they happened here (a batch
whose connection broke is sent again on a fresh connection: :mod:`.connect`). When Redis is
unreachable, events are dropped with a log line, local chat goes on, and local
users are told the network is split (:mod:`.recovery`). When Redis is back the
process sends the departures Redis missed (quits, parts, nick changes), publishes
its users and memberships again (the others ignore what they knew), claims the
nicks it gave out meanwhile (renaming its user where another process kept the
nick), catches up on the messages it missed from the shared history
(:mod:`.catchup`), and publishes :class:`~chatroom.server.network.events.Resync`
so the others catch up on what it stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError, ResponseError

from chatroom.cluster import deliver
from chatroom.cluster.catchup import catch_up_channel
from chatroom.cluster.connect import connect, parse_target, safe, subscription
from chatroom.cluster.events import WIRE_VERSION, OtherVersion, decode, peek, split
from chatroom.cluster.interest import Interest
from chatroom.cluster.keys import (
    ALIVE_PREFIX,
    EVENTS,
    OWNED_PREFIX,
    alive_key,
    channel_of_events_key,
    inbox_key,
    nick_key,
    owned_key,
)
from chatroom.cluster.publisher import Publisher
from chatroom.cluster.records import as_text
from chatroom.cluster.state import HEARTBEAT, TTL
from chatroom.cluster.subscriber import ERROR
from chatroom.cluster.wireline import stamp_ms
from chatroom.cluster.writer import Writer
from chatroom.server.network import Existing
from chatroom.server.network.events import (
    ChannelCreated,
    ChannelMessage,
    ChannelUpdate,
    Event,
    Join,
    ProcessGone,
    Resync,
)
from chatroom.server.network.state import ChannelState
from chatroom.server.network.view import RemoteView
from chatroom.storage.base import from_ms, to_ms, utc_now

if TYPE_CHECKING:
    from chatroom.server.server import Server

__all__ = ["HEARTBEAT", "TTL", "ClusterError", "RedisBridge"]

log = logging.getLogger("chatroom.cluster")


class ClusterError(Exception):
    """Redis could not be reached or used at start; ``str()`` says why."""


class RedisBridge(Writer):
    """Implements :class:`chatroom.server.network.Network` over Redis.

    Make one with :meth:`open` (which raises :class:`ClusterError` if Redis is not
    there), set it as ``server.network``, and :meth:`close` it at shutdown.
    """

    is_local = False  # claims are decided by Redis: the core awaits them

    @classmethod
    async def open(cls, url: str, server: Server) -> RedisBridge:
        """Connect, announce this process, read who is where, start listening."""
        try:
            target = parse_target(url)
        except ValueError as exc:
            raise ClusterError(f"bad Redis URL: {exc}") from None
        try:
            client = await connect(target)
        except (RedisError, OSError) as exc:
            raise ClusterError(f"cannot reach Redis at {safe(url)}: {_reason(exc)}") from None
        # The random part is the msgid prefix: a receiver reads an origin's msgids
        # as their counters (.wireline), and it names the inbox (.keys).
        process_id = f"{socket.gethostname()}:{os.getpid()}:{server.msgid_prefix}"
        bridge = cls(client, server, process_id, subscription(client, target))
        bridge._heard_at = asyncio.get_running_loop().time()
        if not target.is_cluster:
            bridge._publisher = Publisher(
                client.connection_pool.make_connection, bridge._lost_writes
            )
        try:
            await client.set(alive_key(process_id), WIRE_VERSION, ex=TTL)
            bridge._interest = Interest(sharded=await _has_sharded_pubsub(client))
            # Subscribe before the snapshot: nothing published in between is missed.
            await bridge._pubsub.subscribe(EVENTS, inbox_key(process_id))
            await bridge._snapshot()
            await bridge._survey()
        except (RedisError, OSError) as exc:
            await bridge._pubsub.aclose()
            await client.aclose()
            raise ClusterError(f"cannot use Redis at {safe(url)}: {_reason(exc)}") from None
        loop = asyncio.get_running_loop()
        for work in (bridge._write(), bridge._read(), bridge._heartbeat()):
            task = loop.create_task(work)
            task.add_done_callback(_report_death)
            bridge._tasks.append(task)
        server.metrics.network_reachable = True
        log.info("Joined the network in Redis at %s as %s", safe(url), process_id)
        return bridge

    @property
    def view(self) -> RemoteView:
        return self._view

    @property
    def redis(self) -> Any:
        """The bridge's own client for keys and scripts (one Redis or a cluster)."""
        return self._client

    # -- the Network protocol ----------------------------------------------------

    def publish(self, event: Event) -> None:
        if isinstance(event, ChannelMessage) and event.channel not in self._view.members:
            # Nobody elsewhere to hear it: not even queued (.unheard).
            self._unheard.keep(to_ms(utc_now()), event)
            return
        if isinstance(event, ChannelUpdate) and event.state is not None:
            self._echoes.sent(event.channel)
        elif isinstance(event, Join | ChannelCreated):
            self._interest.joined(event.channel, utc_now())
        self._numbering.number(event)  # every attempt at it carries this number
        self._queue.put_nowait(event)

    async def claim_nick(self, folded: str) -> bool:
        if not self._healthy:
            # Redis is away: answer at once, as below, rather than wait for it.
            self._unconfirmed.add(folded)
            self._taken_in_outage.add(folded)
            return True
        try:
            won = await self._claim_in_redis(folded)
        except RedisError as exc:
            # Availability first: while Redis is away, nicks are checked here only
            # (and claimed in Redis when it is back: see _reclaim).
            self._lost(exc)
            self._unconfirmed.add(folded)
            self._taken_in_outage.add(folded)
            return True
        return won

    async def _claim_in_redis(self, folded: str) -> bool:
        me = self.process_id
        self._claiming[folded] += 1  # not given back by _sweep_nicks meanwhile
        try:
            won = await self._claim(
                keys=[nick_key(folded), owned_key(me)], args=[me, ALIVE_PREFIX, OWNED_PREFIX]
            )
        finally:
            self._claiming[folded] -= 1
            if not self._claiming[folded]:
                del self._claiming[folded]
        return bool(won)

    async def create_channel(self, channel: str, nick: str, state: ChannelState) -> Existing | None:
        # Through the writer queue: Redis sees it after everything this process
        # did before (a PART of that channel, say), as the others will.
        event = ChannelCreated(channel, nick, state)
        answer: asyncio.Future[Existing | None] = asyncio.get_running_loop().create_future()
        self._answers[event] = answer
        self._numbering.number(event)
        self._queue.put_nowait(event)
        try:
            # Bounded: a JOIN never hangs on a Redis that stopped answering.
            return await asyncio.wait_for(answer, TTL)
        except TimeoutError:
            log.warning("Redis did not answer in time for %s: created here alone", channel)
            return None
        finally:
            self._answers.pop(event, None)

    def release_nick(self, folded: str) -> None:
        self._queue.put_nowait(folded)

    def status(self) -> list[tuple[str, int]]:
        counts = Counter(user.process for user in self._view.users.values())
        others = sorted((self._processes | set(counts)) - {self.process_id})
        return [(self.process_id, len(self._server.users)), *((p, counts[p]) for p in others)]

    async def close(self, reason: str) -> None:
        """Tell the others this process's users are gone, stop, disconnect. Idempotent."""
        if not self._tasks:
            return
        self.publish(ProcessGone(reason))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), 2.0)
        if self._resync_task is not None:
            self._tasks.append(self._resync_task)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        try:
            await self._client.delete(alive_key(self.process_id))
            await self._cleanup(self.process_id, list(self._server.users))
            await self._pubsub.aclose()
        except RedisError:
            pass
        if self._publisher is not None:
            await self._publisher.close()
        await self._client.aclose()

    def _lost_writes(self, exc: Exception) -> None:
        """The publisher's connection broke with messages unanswered: an outage,
        and the others catch up on what this process stored meanwhile."""
        self._lost(exc)
        self._writes_failed = True

    # -- the reader task ---------------------------------------------------------

    async def _read(self) -> None:
        """Apply what the other processes publish, in the order they published it."""
        while True:
            try:
                # No timer: a reader that hears nothing for long is cut by the deafness
                # check (recovery.py), and the read then fails.
                messages = await self._pubsub.get_messages(timeout=None)
            except (RedisError, OSError) as exc:
                self._lost(exc)
                self._reader_down = True
                self._read_lost_at = self._loop.time()  # the next connection gets its time
                await asyncio.sleep(HEARTBEAT)
                continue
            except Exception:  # a bug: log it, and listen again
                log.exception("Could not read from Redis")
                await asyncio.sleep(HEARTBEAT)
                continue
            for kind, channel, data in messages:
                if kind == b"message" or kind == b"smessage":
                    await self._heard(channel, data)
                else:
                    await self._replied(kind, channel, data)

    async def _heard(self, channel: bytes, data: bytes) -> None:
        self._heard_at = self._loop.time()  # not deaf
        if data == self._ping:
            self._maybe_healed()
            return
        try:
            envelopes = split(data)  # one, or a loop turn's to this channel (.writer)
        except ValueError as exc:
            log.warning("Ignored a bad message on %s: %s", as_text(channel), exc)
            return
        for envelope in envelopes:
            await self._received(channel, envelope)

    async def _replied(self, kind: bytes, channel: bytes, data: Any) -> None:
        """A subscription confirmed (or an error reply: logged)."""
        if kind == ERROR:
            log.warning("Redis refused a subscription: %s", data)
            return
        if kind not in (b"subscribe", b"ssubscribe"):
            return
        name = as_text(channel)
        if name != EVENTS:
            self._subscribed_to(name)
            return
        if self._subscribed:
            # Subscribed again after a lost connection: whatever is published
            # from now on reaches us; what was missed before is in the history.
            await self._catch_up()
        self._subscribed = True

    async def _received(self, channel: bytes, data: bytes) -> None:
        """Apply one event another process published (drop our own, and repeats)."""
        head = peek(data)
        if head is not None and head[1] == self.process_id and head[0] is not ChannelUpdate:
            return  # our own, heard back (only a channel update's echo counts)
        if head is not None and head[1] in self._other_versions:
            return  # its heartbeat says it speaks another version: said once, not read
        try:
            origin, seq, event = decode(data)
        except OtherVersion as exc:
            self._other_version(exc.origin, str(exc.version))  # said once, not per event
            return
        except ValueError as exc:
            log.warning("Ignored a bad message on %s: %s", as_text(channel), exc)
            return
        if origin != self.process_id and not self._seen.first_time(origin, seq):
            return  # a write retried after its connection broke (.sequence)
        if isinstance(event, ChannelUpdate) and event.state is not None:
            self._heard_update(origin, event)
        if origin == self.process_id or not self._delivered.is_new(event):
            return
        if isinstance(event, Resync):
            # Its messages of that time reached nobody: read them from history.
            self._resync(from_ms(event.since_ms), origin)
            return
        if isinstance(event, Join) and event.channel not in self._server.channels:
            # No copy of the channel here: its state is in Redis, not in the event.
            event = dataclasses.replace(event, state=await self._stored_state(event.channel))
        self._server.metrics.network_received += 1
        try:
            deliver.apply(self._server, self._view, origin, event)
            self._delivered.remember(event)
        except Exception:
            log.exception("Could not apply %s from %s", type(event).__name__, origin)
        if isinstance(event, ProcessGone):
            self._seen.forget(origin)
        elif isinstance(event, Join):
            self._publish_unheard(event)

    def _publish_unheard(self, join: Join) -> None:
        """Another process's user joined: publish the channel's messages sent here
        since that JOIN that nobody elsewhere could hear then (:mod:`.unheard`)."""
        stamp = join.line.tags.get("time")
        since = None if stamp is None else stamp_ms(stamp)
        for message in self._unheard.take(join.channel, 0 if since is None else since):
            self.publish(message)

    def _subscribed_to(self, key: str) -> None:
        """Redis confirmed a subscription: if it is a channel's first local JOIN,
        catch up what was published before (:mod:`.interest`)."""
        channel = channel_of_events_key(key)
        since = None if channel is None else self._interest.confirmed(channel)
        if channel is None or since is None:
            return
        if self._server.history is None:
            log.warning("Messages of %s sent just before its first JOIN here may be lost", channel)
            return
        task = asyncio.get_running_loop().create_task(self._close_gap(channel, since))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _close_gap(self, channel: str, since: datetime) -> None:
        """Deliver the messages of ``channel`` stored since ``since`` and not heard."""
        try:
            await catch_up_channel(
                self._server,
                self._view,
                self._delivered,
                self._server.msgid_prefix,
                channel,
                since,
                utc_now() + timedelta(minutes=1),  # later ones arrive live
            )
        except Exception:
            log.exception("Could not catch up %s after subscribing", channel)

    def _heard_update(self, origin: str, event: ChannelUpdate) -> None:
        """Keep :class:`~.channels.Echoes` up to date; adopt an own state that was
        overtaken here by another process's but is the one Redis holds."""
        if origin != self.process_id:
            self._echoes.heard_other(event.channel)
        elif self._echoes.heard_own(event.channel):
            try:
                deliver.channel_update(
                    self._server, self._view, event.channel, event.state, (), None
                )
            except Exception:
                log.exception("Could not adopt the state of %s", event.channel)


async def _has_sharded_pubsub(client: Any) -> bool:
    """Whether Redis has sharded pub/sub (``SPUBLISH``, Redis 7): asked once, at start."""
    try:
        await client.spublish("chatroom:probe", "")
    except ResponseError:
        return False  # an unknown command: an older Redis
    return True


def _report_death(task: asyncio.Task[None]) -> None:
    """Log loudly if a bridge task ever ends other than by :meth:`RedisBridge.close`:
    each catches what it expects, so this is a bug, and the process is cut off."""
    if not task.cancelled() and task.exception() is not None:
        log.critical(
            "Bridge task %s died: this process no longer talks to the network",
            task.get_coro().__qualname__,  # type: ignore[union-attr]
            exc_info=task.exception(),
        )


def _reason(exc: BaseException) -> str:
    """One line for an error at start (redis-py's may span several, or be empty)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
