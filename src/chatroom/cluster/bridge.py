"""The Redis bridge: this process's link to the other processes of its network.

What it keeps in Redis is listed in :mod:`.keys`; the records in :mod:`.records`;
the Lua scripts in :mod:`.scripts`. :class:`RedisBridge` is built in layers (see
:mod:`.state`): this module holds opening and closing, the
:class:`~chatroom.server.network.Network` protocol, the writer and the reader;
:mod:`.liveness` the heartbeat, snapshot, cleanup and re-publishing;
:mod:`.recovery` losing and regaining Redis.

Everything this process writes goes through one queue and one writer task, so
the other processes see its events in the order they happened here (a batch
whose connection broke is sent again on a fresh connection: :func:`_retry`). When Redis is
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
import json
import logging
import os
import secrets
import socket
from collections import Counter
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from chatroom.cluster import channels as shared
from chatroom.cluster import deliver
from chatroom.cluster.events import decode, encode
from chatroom.cluster.keys import (
    ALIVE_PREFIX,
    EVENTS,
    OWNED_PREFIX,
    USERS,
    alive_key,
    channel_key,
    inbox_key,
    members_key,
    nick_key,
    owned_key,
)
from chatroom.cluster.liveness import Liveness
from chatroom.cluster.records import as_text, user_record
from chatroom.cluster.scripts import (
    CREATE_CHANNEL,
    FORGET_CHANNEL,
    HDEL_OURS,
    RELEASE,
    UPDATE_CHANNEL,
)
from chatroom.cluster.state import HEARTBEAT, TTL
from chatroom.protocol.casemap import casefold
from chatroom.server import presence
from chatroom.server.network import Existing
from chatroom.server.network.events import (
    ChannelCreated,
    ChannelLine,
    ChannelUpdate,
    Event,
    Join,
    Kick,
    Leave,
    NickChange,
    PrivateMessage,
    ProcessGone,
    Quit,
    Resync,
    UserState,
    UserUp,
)
from chatroom.server.network.state import ChannelState
from chatroom.server.network.view import RemoteView
from chatroom.storage.base import from_ms

if TYPE_CHECKING:
    from chatroom.server.server import Server

__all__ = ["HEARTBEAT", "TTL", "ClusterError", "RedisBridge"]

log = logging.getLogger("chatroom.cluster")

MISSED = 10_000
"""At most this many departures (quits, parts, nick changes) kept while Redis is away."""


class ClusterError(Exception):
    """Redis could not be reached or used at start; ``str()`` says why."""


class RedisBridge(Liveness):
    """Implements :class:`chatroom.server.network.Network` over Redis.

    Make one with :meth:`open` (which raises :class:`ClusterError` if Redis is not
    there), set it as ``server.network``, and :meth:`close` it at shutdown.
    """

    is_local = False  # claims are decided by Redis: the core awaits them

    @classmethod
    async def open(cls, url: str, server: Server) -> RedisBridge:
        """Connect, announce this process, read who is where, start listening."""
        try:
            client = aioredis.from_url(
                url, socket_connect_timeout=2, socket_timeout=3, retry=_retry()
            )
        except ValueError as exc:
            raise ClusterError(f"bad Redis URL: {exc}") from None
        process_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        bridge = cls(client, server, process_id)
        bridge._heard_at = asyncio.get_running_loop().time()
        try:
            await client.ping()
            await client.set(alive_key(process_id), "1", ex=TTL)
            # Subscribe before the snapshot: nothing published in between is missed.
            await bridge._pubsub.subscribe(EVENTS, inbox_key(process_id))
            await bridge._snapshot()
            await bridge._survey()
        except (RedisError, OSError) as exc:
            await client.aclose()
            raise ClusterError(f"cannot use Redis at {_safe(url)}: {exc}") from None
        loop = asyncio.get_running_loop()
        for work in (bridge._write(), bridge._read(), bridge._heartbeat()):
            task = loop.create_task(work)
            task.add_done_callback(_report_death)
            bridge._tasks.append(task)
        server.metrics.network_reachable = True
        log.info("Joined the network in Redis at %s as %s", _safe(url), process_id)
        return bridge

    @property
    def view(self) -> RemoteView:
        return self._view

    # -- the Network protocol ----------------------------------------------------

    def publish(self, event: Event) -> None:
        if isinstance(event, ChannelUpdate) and event.state is not None:
            self._echoes.sent(event.channel)
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
        await self._client.aclose()

    # -- tasks -------------------------------------------------------------------

    async def _write(self) -> None:
        """Send queued events (and nick releases) in order, batched per loop turn."""
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            # What Redis missed before goes first: later changes must not overtake it.
            missed, self._missed = self._missed, []
            try:
                if not self._healthy:
                    # No waiting for a Redis known to be away (each attempt could
                    # take the connect timeout): only the heartbeat probes it.
                    raise RedisConnectionError("Redis is away: not waiting for it")
                # A connection that broke under us (Redis restarted, say) is retried
                # on a fresh one (_retry). A batch that ran before the connection
                # broke runs twice: its messages are shown once (Delivered), other
                # events (a KICK, a MODE) may be shown twice.
                results = await self._send(batch, missed)
                self._back()
                self._server.metrics.network_published += len(batch)
                refused = [result for result in results if isinstance(result, Exception)]
                for result in refused:
                    log.warning("Redis refused a command: %s", result)
                if refused:
                    self._owe_users(batch)
                self._settle_creations(results)
                for index, update in self._updates:
                    if isinstance(results[index], Exception) and update.state is not None:
                        self._echoes.heard_own(update.channel)  # never published
            except RedisError as exc:
                if not isinstance(exc, RedisConnectionError | RedisTimeoutError):
                    # Redis answered, with an error for one command (a bad record,
                    # say): not an outage. Redis ran every other command of the
                    # pipeline, and sending it again would fail again: drop it.
                    log.error("Redis refused one of %d events: %s", len(batch), exc)
                    continue
                self._lost(exc)
                self._writes_failed = True
                self._owe_users(batch)
                self._missed[:0] = missed
                self._keep_missed(batch)
                self._unsent(batch)
            except Exception:
                # A bug must not stop every later event from leaving this process.
                log.exception("Could not send %d events to Redis", len(batch))
                self._unsent(batch)
            finally:
                for item in batch:  # unanswered (Redis failed): created here, then
                    if isinstance(item, ChannelCreated):
                        self._answer(item, None)
                self._creations.clear()
                self._updates.clear()
                for _ in batch:
                    self._queue.task_done()

    def _keep_missed(self, batch: list[Event | str]) -> None:
        """Keep the departures in a batch Redis did not take (quits, parts, nick
        changes, topics, nick releases), to send first once Redis takes writes
        again (:meth:`_republish` re-sends what still exists; messages come back
        from history)."""
        kept = (str, Quit, Leave, NickChange, ChannelLine)
        self._missed.extend(item for item in batch if isinstance(item, kept))
        for item in batch:
            if isinstance(item, ChannelUpdate):
                # The latest state of each channel is enough (a topic, modes), with
                # the latest status of each member whose status changed; replayed
                # without a line (the others' members see the result, not each step).
                statuses: dict[str, str] = {}
                rest: list[Event | str] = []
                for m in self._missed:
                    if isinstance(m, ChannelUpdate) and m.channel == item.channel:
                        statuses.update(m.statuses)
                    else:
                        rest.append(m)
                statuses.update(item.statuses)
                rest.append(ChannelUpdate(item.channel, item.state, tuple(statuses.items())))
                self._missed = rest
        if len(self._missed) > MISSED:
            log.warning("Too many changes while Redis is away: the oldest are dropped")
            # Never a nick release: a lost one keeps the nick taken while we live.
            excess = len(self._missed) - MISSED
            kept_items: list[Event | str] = []
            for item in self._missed:
                if excess and not isinstance(item, str):
                    excess -= 1
                    continue
                kept_items.append(item)
            self._missed = kept_items

    async def _send(self, batch: list[Event | str], missed: list[Event | str]) -> list[Any]:
        pipe = self._client.pipeline(transaction=False)
        me = self.process_id
        self._replay_missed(pipe, missed)
        for item in batch:
            if isinstance(item, str):
                pipe.eval(RELEASE, 2, nick_key(item), owned_key(me), me)
            else:
                self._queue_commands(pipe, item)
        # A command Redis refuses (a script error) costs that command only.
        return list(await pipe.execute(raise_on_error=False))

    def _owe_users(self, batch: list[Event | str]) -> None:
        """A user state in a batch Redis did not take is never sent again by itself
        (a user who set +i would stay visible elsewhere): the heartbeat re-announces
        every user, whole."""
        if any(isinstance(item, UserUp | UserState | NickChange) for item in batch):
            self._republish_due = True

    def _unsent(self, batch: list[Event | str]) -> None:
        """The channel updates of a batch that failed will never echo back."""
        for item in batch:
            if isinstance(item, ChannelUpdate) and item.state is not None:
                self._echoes.heard_own(item.channel)

    def _queue_commands(self, pipe: Any, event: Event) -> None:
        me = self.process_id
        match event:
            case PrivateMessage(target=target) | Kick(target=target):
                owner = self._view.users.get(target)
                if owner is not None:
                    pipe.publish(inbox_key(owner.process), encode(me, event))
                return
            case UserUp(nick):
                pipe.hset(USERS, casefold(nick), user_record(event, me))
            case Join(channel, nick, _source, status, _account, _realname, _line, state):
                pipe.hset(members_key(channel), nick, json.dumps({"s": status, "p": me}))
                if state is not None:  # its state, unless there already
                    pipe.set(channel_key(channel), shared.dump(state), nx=True)
            case Leave(channel, nick, line):
                # Only the record of the user meant: a PART is of our own user (a
                # replayed one must spare whoever took the nick since); a KICK may
                # be of another process's user.
                process = me
                owner = self._view.users.get(nick)
                if line.command == "KICK" and owner is not None and nick not in self._server.users:
                    process = owner.process
                pipe.eval(HDEL_OURS, 1, members_key(channel), nick, process)
                pipe.eval(FORGET_CHANNEL, 2, members_key(channel), channel_key(channel))
            case Quit(nick, channels, _line):
                pipe.eval(HDEL_OURS, 1, USERS, nick, me)
                for channel in channels:
                    pipe.eval(HDEL_OURS, 1, members_key(channel), nick, me)
                    pipe.eval(FORGET_CHANNEL, 2, members_key(channel), channel_key(channel))
            case ChannelCreated(channel, nick, state):
                # Published by the script, and only if this process really was first.
                self._creations.append((len(pipe), event))
                member = json.dumps({"s": "o", "p": me})
                envelope = encode(me, event)
                pipe.eval(
                    CREATE_CHANNEL,
                    2,
                    members_key(channel),
                    channel_key(channel),
                    nick,
                    member,
                    shared.dump(state),
                    envelope,
                    EVENTS,
                )
                return
            case ChannelUpdate(channel, state, statuses, _line):
                pairs = [item for pair in statuses for item in pair]
                envelope = encode(me, event)
                keys = (channel_key(channel), members_key(channel))
                self._updates.append((len(pipe), event))
                text = shared.dump(state) if state is not None else ""
                pipe.eval(UPDATE_CHANNEL, 2, *keys, text, envelope, EVENTS, *pairs)
                return
            case NickChange(old, new, source, memberships, _line):
                folded = casefold(new)
                pipe.eval(HDEL_OURS, 1, USERS, old, me)
                record = self._record_of(folded) or user_record(UserUp(new, source), me)
                pipe.hset(USERS, folded, record)
                for channel, status in memberships:
                    pipe.eval(HDEL_OURS, 1, members_key(channel), old, me)
                    pipe.hset(members_key(channel), folded, json.dumps({"s": status, "p": me}))
            case UserState(nick):
                current = self._record_of(nick)
                if current is not None:  # else it is gone: its quit removes the record
                    pipe.hset(USERS, nick, current)
            case _:
                pass
        pipe.publish(EVENTS, encode(me, event))

    def _record_of(self, folded: str) -> str | None:
        """The ``chatroom:users`` record of local user ``folded`` as it is now (if
        it changes again, a later event in the queue writes it again), or None if
        no local user has that nick any more."""
        session = self._server.users.get(folded)
        if session is None:
            return None
        return user_record(presence.user_up(session), self.process_id)

    def _settle_creations(self, results: list[Any]) -> None:
        """Tell each creation in the batch whether this process won it."""
        for index, event in self._creations:
            existing = results[index]
            if existing is None or isinstance(existing, Exception):
                self._answer(event, None)  # won (a script error: as if Redis were away)
                continue
            log.info("%s was created on another process first", event.channel)
            self._answer(event, Existing(_state_of(existing)))

    def _answer(self, event: ChannelCreated, state: Existing | None) -> None:
        answer = self._answers.get(event)
        if answer is not None and not answer.done():
            answer.set_result(state)

    async def _read(self) -> None:
        """Apply what the other processes publish, in the order they published it."""
        while True:
            try:
                message = await self._pubsub.get_message(timeout=HEARTBEAT)
            except (RedisError, OSError) as exc:
                self._lost(exc)
                self._reader_down = True
                await asyncio.sleep(HEARTBEAT)
                continue
            except Exception:  # a bug: log it, and listen again
                log.exception("Could not read from Redis")
                await asyncio.sleep(HEARTBEAT)
                continue
            if message is None:
                continue
            if message.get("type") == "subscribe" and as_text(message["channel"]) == EVENTS:
                if self._subscribed:
                    # Subscribed again (redis-py reconnects by itself, sometimes
                    # without raising): whatever is published from now on reaches
                    # us; what was missed before is in the shared history.
                    await self._catch_up()
                self._subscribed = True
                continue
            if message.get("type") != "message":
                continue
            self._heard_at = asyncio.get_running_loop().time()  # not deaf
            if message.get("data") == self._ping:
                self._maybe_healed()
                continue
            try:
                origin, event = decode(message["data"])
            except ValueError as exc:
                log.warning("Ignored a bad message on %s: %s", message.get("channel"), exc)
                continue
            if isinstance(event, ChannelUpdate) and event.state is not None:
                self._heard_update(origin, event)
            if origin == self.process_id or not self._delivered.is_new(event):
                continue
            if isinstance(event, Resync):
                # Its messages of that time reached nobody: read them from history.
                self._resync(from_ms(event.since_ms), origin)
                continue
            self._server.metrics.network_received += 1
            try:
                deliver.apply(self._server, self._view, origin, event)
                self._delivered.remember(event)
            except Exception:
                log.exception("Could not apply %s from %s", type(event).__name__, origin)

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

    def _replay_missed(self, pipe: Any, missed: list[Event | str]) -> None:
        """The departures Redis missed, in order, so the others drop users and
        memberships that are gone (in a re-publish, what exists now follows)."""
        me = self.process_id
        for item in missed:
            if isinstance(item, str):
                if item not in self._server.users:  # not taken again here meanwhile
                    pipe.eval(RELEASE, 2, nick_key(item), owned_key(me), me)
            else:
                self._queue_commands(pipe, item)


def _retry() -> Retry:
    """Each command is tried again up to three times within about half a second, on
    a fresh connection: enough to ride over a restarted Redis, short enough that a
    registration or the heartbeat does not hang while Redis is away (redis-py's
    default tries for seconds)."""
    return Retry(ExponentialWithJitterBackoff(cap=0.25, base=0.02), 3)


def _report_death(task: asyncio.Task[None]) -> None:
    """Log loudly if a bridge task ever ends other than by :meth:`RedisBridge.close`:
    each catches what it expects, so this is a bug, and the process is cut off."""
    if not task.cancelled() and task.exception() is not None:
        log.critical(
            "Bridge task %s died: this process no longer talks to the network",
            task.get_coro().__qualname__,  # type: ignore[union-attr]
            exc_info=task.exception(),
        )


def _safe(url: str) -> str:
    """``url`` without its password, for logs and errors."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest


def _state_of(stored: Any) -> ChannelState | None:
    """The channel state Redis answered with, or None if it holds none or an
    unreadable one (not UTF-8 is as malformed as bad JSON): no mirror is made."""
    if not isinstance(stored, bytes):
        return None
    try:
        return shared.parse(stored.decode(errors="replace"))
    except ValueError:
        return None
