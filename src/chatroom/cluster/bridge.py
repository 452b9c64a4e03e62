"""The Redis bridge: this process's link to the other processes of its network.

What lives in Redis (all keys under ``chatroom:``; see docs/scale-out.md):

* ``alive:<process>``: a heartbeat, set every :data:`HEARTBEAT` seconds to expire
  after :data:`TTL`; a process whose key is gone is dead and its users quit.
* ``nick:<folded>``: the process owning a nick, claimed atomically (a Lua script:
  free, already ours, or owned by a process without a heartbeat), with no expiry;
  ``owned:<process>`` (a set) lists the nick keys of a process, so whoever notices
  its death removes them. The heartbeat costs the same however many users there are.
* ``users`` (hash ``folded nick -> {nick, source, process}``, plus what WHO/WHOIS
  show: realname, account, away, modes, signon, TLS; see :func:`_user_record`)
  and ``members:<channel>`` (hash ``folded nick -> {status, process}``): the
  snapshot a starting process reads to learn who is where.
* ``channel:<channel>``: the channel's shared state (modes, key, limit, lists,
  topic, registration; JSON from :mod:`.channels`): written by its creator (Lua,
  atomically: only if ``members:<channel>`` does not exist yet, so one process wins
  a simultaneous creation, and its JOIN waits for the answer), then by whoever
  changes it (Lua: stored and published in one step, so stored order is heard
  order), set if missing by every JOIN (which carries it), deleted (Lua: only
  if ``members:<channel>`` is gone and the channel is not permanent) when the
  last member leaves.
* pub/sub ``chatroom:events``: one message per event (see :mod:`.events`) for
  every process; ``chatroom:proc:<process>``: private messages for one process.

Everything this process writes goes through one queue and one writer task, so
the other processes see its events in the order they happened here (a batch
whose connection broke is sent again on a fresh connection: :func:`_retry`). When Redis is
unreachable, events are dropped with a log line, local chat goes on, and local
users are told the network is split (:mod:`.outage`). When Redis is back the
process sends the departures Redis missed (quits, parts, nick changes), publishes
its users and memberships again (the others ignore what they knew), claims the
nicks it gave out meanwhile (renaming its user where another process kept the
nick), catches up on the messages it missed from the shared history
(:mod:`.catchup`), and publishes :class:`~.events.Resync` so the others catch up
on what it stored; after a restart of Redis, it declares nobody dead for one
:data:`TTL`, so the others have time to beat again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
import typing
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from chatroom.cluster import channels as shared
from chatroom.cluster import deliver, outage
from chatroom.cluster.catchup import Delivered, catch_up
from chatroom.cluster.events import (
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
    decode,
    encode,
)
from chatroom.cluster.scripts import CLAIM, FORGET, HDEL_OURS, RELEASE
from chatroom.cluster.view import RemoteUser, RemoteView
from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.server import presence
from chatroom.server.auth import guest_nick
from chatroom.storage.base import from_ms, to_ms, utc_now

if TYPE_CHECKING:
    from chatroom.server.server import Server

log = logging.getLogger("chatroom.cluster")

HEARTBEAT = 1.0
"""Seconds between heartbeats (and checks that the other processes are alive)."""
SWEEP_EVERY = 10
"""Heartbeats between two checks that every nick Redis lists as ours has a user here
(one SMEMBERS, O(local users))."""
DEAF_AFTER = 10 * HEARTBEAT
"""Seconds without hearing our own ping before the subscription counts as dead."""
TTL = 3
"""Seconds a heartbeat lasts unless refreshed."""
MARGIN = 15.0
"""Seconds before an outage was noticed from which messages are caught up: a
publish may have failed (or a read stalled, up to the socket timeout) before."""
CATCH_UP_DEADLINE = 60
"""Seconds a catch-up for another process's outage may take before it is stopped."""
MISSED = 10_000
"""At most this many departures (quits, parts, nick changes) kept while Redis is away."""
SPLIT_NOTICE_AFTER = 2 * HEARTBEAT
"""Seconds Redis must stay away before local users are told the network is split."""
SPLIT_NOTICE_EVERY = 60.0
"""Seconds after a split notice during which another split is not announced."""
EVENTS = "chatroom:events"
USERS = "chatroom:users"
_ALIVE = "chatroom:alive:"
_OWNED = "chatroom:owned:"

# A channel's state goes when nobody is in it network-wide and it is not permanent
# (an unreadable state of a channel nobody is in goes too: it can serve nobody).
_FORGET = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local state = redis.call('GET', KEYS[2])
if not state then return 0 end
local ok, body = pcall(cjson.decode, state)
if ok and type(body) == 'table' and body['p'] then return 0 end
return redis.call('DEL', KEYS[2])
"""

# The first member of a channel network-wide creates it: atomically, nobody in it yet.
# Won: add the member, store the state, publish the event (ARGV[4] on ARGV[5]); nil.
# Lost: the state of the channel that exists ('' if none is stored).
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('GET', KEYS[2]) or ''
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[5], ARGV[4])
return false
"""

# A change to a channel: store its state (ARGV[1], '' for none) and publish the event
# (ARGV[2] on ARGV[3]) in one step, so the order of stored states is the order every
# process hears them in. Statuses (ARGV[4..]: nick, status) change only for members
# still in the hash, under the process that owns them: a user who left or renamed
# meanwhile is not put back. An unregistered room nobody is in is forgotten.
_UPDATE = """
if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1]) end
for i = 4, #ARGV - 1, 2 do
  local record = redis.call('HGET', KEYS[2], ARGV[i])
  if record then
    local ok, body = pcall(cjson.decode, record)
    if ok and type(body) == 'table' then
      body['s'] = ARGV[i + 1]
      redis.call('HSET', KEYS[2], ARGV[i], cjson.encode(body))
    end
  end
end
redis.call('PUBLISH', ARGV[3], ARGV[2])
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[2]) == 0 then
  local ok, body = pcall(cjson.decode, ARGV[1])
  if ok and type(body) == 'table' and not body['p'] then redis.call('DEL', KEYS[1]) end
end
return 1
"""


class ClusterError(Exception):
    """Redis could not be reached or used at start; ``str()`` says why."""


def _alive(process: str) -> str:
    return f"{_ALIVE}{process}"


def _owned(process: str) -> str:
    return f"{_OWNED}{process}"


def _nick(folded: str) -> str:
    return f"chatroom:nick:{folded}"


def _members(channel: str) -> str:
    return f"chatroom:members:{channel}"


def _channel(channel: str) -> str:
    return f"chatroom:channel:{channel}"


def _inbox(process: str) -> str:
    return f"chatroom:proc:{process}"


class RedisBridge:
    """Implements :class:`chatroom.server.network.Network` over Redis.

    Make one with :meth:`open` (which raises :class:`ClusterError` if Redis is not
    there), set it as ``server.network``, and :meth:`close` it at shutdown.
    """

    def __init__(self, client: aioredis.Redis, server: Server, process_id: str) -> None:
        self.process_id = process_id
        self._client = client
        self._server = server
        self._view = RemoteView()
        self._queue: asyncio.Queue[Event | str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._healthy = True
        self._processes: set[str] = set()  # every process with a heartbeat, us included
        self._grace_until = 0.0  # loop time before which nobody is declared dead
        self._republish_due = False  # Redis forgot us; set until re-published
        self._creations: list[tuple[int, ChannelCreated]] = []  # in the batch being written
        # Creations waiting for Redis's answer (create_channel), by their event.
        self._answers: dict[ChannelCreated, asyncio.Future[str | None]] = {}
        self._echoes = shared.Echoes()  # own channel updates not heard back yet
        self._updates: list[tuple[int, ChannelUpdate]] = []  # in the batch being written
        self._claim = client.register_script(CLAIM)
        self._pubsub = client.pubsub()
        # The current outage (see _lost and _maybe_healed); None while all is well.
        self._down_since: datetime | None = None
        self._reader_down = False  # the subscription broke; catch up when it is back
        # The heartbeat publishes a ping to our own inbox; when the reader last heard
        # one (loop time), and when the current outage began: a subscription that
        # died without an error is noticed, and no heal is announced before the
        # reader hears again.
        self._ping = f"ping:{process_id}".encode()
        self._heard_at = 0.0
        self._down_at = 0.0
        self._subscribed = False  # the first subscription was confirmed
        self._state_back = True  # the heartbeat went through and state is re-published
        self._split_told = False
        self._last_split_notice: float | None = None  # loop time
        self._split_timer: asyncio.TimerHandle | None = None
        self._caught_up: int | None = 0  # None: history failed during this outage
        self._unconfirmed: set[str] = set()  # nicks given out while Redis was away
        # Nicks given out here during the current outage (kept until it is over):
        # another process may have given them too, so no private catch-up for them.
        self._taken_in_outage: set[str] = set()
        self._reclaim_all = False  # Redis forgot every claim: claim every local nick
        self._delivered = Delivered()
        self._writes_failed = False  # during this outage: the others must catch up
        self._resync_since: datetime | None = None  # pending catch-up for others' outages
        self._resync_from: set[str] = set()
        self._resync_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._beats = 0
        self._claiming: Counter[str] = Counter()  # nicks being claimed in Redis now
        self._missed: list[Event | str] = []  # see _keep_missed
        self._started = utc_now()  # nothing before it is caught up: our users were not here

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
            await client.set(_alive(process_id), "1", ex=TTL)
            # Subscribe before the snapshot: nothing published in between is missed.
            await bridge._pubsub.subscribe(EVENTS, _inbox(process_id))
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
        log.info("Joined the network in Redis at %s as %s", _safe(url), process_id)
        return bridge

    @property
    def view(self) -> RemoteView:
        return self._view

    # -- the Network protocol ----------------------------------------------------

    def publish(self, event: Event) -> None:
        if isinstance(event, ChannelUpdate) and event.state:
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
            won = await self._claim(keys=[_nick(folded), _owned(me)], args=[me, _ALIVE, _OWNED])
        finally:
            self._claiming[folded] -= 1
            if not self._claiming[folded]:
                del self._claiming[folded]
        return bool(won)

    async def create_channel(self, channel: str, nick: str, state: str) -> str | None:
        # Through the writer queue: Redis sees it after everything this process
        # did before (a PART of that channel, say), as the others will.
        event = ChannelCreated(channel, nick, state)
        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
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
            await self._client.delete(_alive(self.process_id))
            await self._cleanup(self.process_id, list(self._server.users))
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
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
                refused = [result for result in results if isinstance(result, Exception)]
                for result in refused:
                    log.warning("Redis refused a command: %s", result)
                if refused and any(isinstance(i, UserUp | UserState | NickChange) for i in batch):
                    self._republish_due = True  # as for a lost batch: see below
                self._settle_creations(results)
                for index, update in self._updates:
                    if isinstance(results[index], Exception) and update.state:
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
                # A lost user state is never sent again by itself (a user set +i stays
                # visible elsewhere): the heartbeat re-announces every user, whole.
                if any(isinstance(item, UserUp | UserState | NickChange) for item in batch):
                    self._republish_due = True
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
                pipe.eval(RELEASE, 2, _nick(item), _owned(me), me)
            else:
                self._queue_commands(pipe, item)
        # A command Redis refuses (a script error) costs that command only.
        return list(await pipe.execute(raise_on_error=False))

    def _unsent(self, batch: list[Event | str]) -> None:
        """The channel updates of a batch that failed will never echo back."""
        for item in batch:
            if isinstance(item, ChannelUpdate) and item.state:
                self._echoes.heard_own(item.channel)

    def _queue_commands(self, pipe: Any, event: Event) -> None:
        me = self.process_id
        match event:
            case PrivateMessage(target=target) | Kick(target=target):
                owner = self._view.users.get(target)
                if owner is not None:
                    pipe.publish(_inbox(owner.process), encode(me, event))
                return
            case UserUp(nick):
                pipe.hset(USERS, casefold(nick), _user_record(event, me))
            case Join(channel, nick, _source, status, _account, _realname, _line, state):
                pipe.hset(_members(channel), nick, json.dumps({"s": status, "p": me}))
                if state:  # its state, unless there already
                    pipe.set(_channel(channel), state, nx=True)
            case Leave(channel, nick, line):
                # Only the record of the user meant: a PART is of our own user (a
                # replayed one must spare whoever took the nick since); a KICK may
                # be of another process's user.
                process = me
                owner = self._view.users.get(nick)
                if line.command == "KICK" and owner is not None and nick not in self._server.users:
                    process = owner.process
                pipe.eval(HDEL_OURS, 1, _members(channel), nick, process)
                pipe.eval(_FORGET, 2, _members(channel), _channel(channel))
            case Quit(nick, channels, _line):
                pipe.eval(HDEL_OURS, 1, USERS, nick, me)
                for channel in channels:
                    pipe.eval(HDEL_OURS, 1, _members(channel), nick, me)
                    pipe.eval(_FORGET, 2, _members(channel), _channel(channel))
            case ChannelCreated(channel, nick, state):
                # Published by the script, and only if this process really was first.
                self._creations.append((len(pipe), event))
                member = json.dumps({"s": "o", "p": me})
                envelope = encode(me, event)
                pipe.eval(
                    _CREATE,
                    2,
                    _members(channel),
                    _channel(channel),
                    nick,
                    member,
                    state,
                    envelope,
                    EVENTS,
                )
                return
            case ChannelUpdate(channel, state, statuses, _line):
                pairs = [item for pair in statuses for item in pair]
                envelope = encode(me, event)
                keys = (_channel(channel), _members(channel))
                self._updates.append((len(pipe), event))
                pipe.eval(_UPDATE, 2, *keys, state, envelope, EVENTS, *pairs)
                return
            case NickChange(old, new, source, memberships, _line):
                folded = casefold(new)
                pipe.eval(HDEL_OURS, 1, USERS, old, me)
                record = self._record_of(folded) or _user_record(UserUp(new, source), me)
                pipe.hset(USERS, folded, record)
                for channel, status in memberships:
                    pipe.eval(HDEL_OURS, 1, _members(channel), old, me)
                    pipe.hset(_members(channel), folded, json.dumps({"s": status, "p": me}))
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
        return _user_record(presence.user_up(session), self.process_id)

    def _settle_creations(self, results: list[Any]) -> None:
        """Tell each creation in the batch whether this process won it."""
        for index, event in self._creations:
            existing = results[index]
            if existing is None or isinstance(existing, Exception):
                self._answer(event, None)  # won (a script error: as if Redis were away)
                continue
            log.info("%s was created on another process first", event.channel)
            # Not UTF-8 is as malformed as bad JSON: the JOIN copes with either.
            self._answer(
                event, existing.decode(errors="replace") if isinstance(existing, bytes) else ""
            )

    def _answer(self, event: ChannelCreated, state: str | None) -> None:
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
            if message.get("type") == "subscribe" and _text(message["channel"]) == EVENTS:
                if self._subscribed:
                    # Subscribed again (redis-py reconnects by itself, sometimes
                    # without raising): whatever is published from now on reaches
                    # us; what was missed before is in the shared history.
                    await self._catch_up()
                self._subscribed = True
                continue
            if message.get("type") != "message":
                continue
            if message.get("data") == self._ping:
                self._heard_at = asyncio.get_running_loop().time()
                self._maybe_healed()
                continue
            try:
                origin, event = decode(message["data"])
            except ValueError as exc:
                log.warning("Ignored a bad message on %s: %s", message.get("channel"), exc)
                continue
            if isinstance(event, ChannelUpdate) and event.state:
                self._heard_update(origin, event)
            if origin == self.process_id or not self._delivered.is_new(event):
                continue
            if isinstance(event, Resync):
                # Its messages of that time reached nobody: read them from history.
                self._resync(from_ms(event.since_ms), origin)
                continue
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

    def _resync(self, since: datetime, origin: str) -> None:
        """Catch up on what ``origin`` stored while it could not publish, beside the
        reader (live delivery goes on; msgids keep each message once). Resyncs that
        come while one runs are merged into the next."""
        if self._resync_since is None or since < self._resync_since:
            self._resync_since = since
        self._resync_from.add(origin)
        if self._resync_task is None or self._resync_task.done():
            self._resync_task = asyncio.get_running_loop().create_task(self._run_resyncs())

    async def _run_resyncs(self) -> None:
        while self._resync_since is not None:
            since, self._resync_since = self._resync_since, None
            why = f"{', '.join(sorted(self._resync_from))} lost Redis"
            self._resync_from.clear()
            try:
                # A nick taken here since its outage began may have been held there
                # too meanwhile: no private messages for it.
                await asyncio.wait_for(
                    self._catch_up_window(since, why, held_since=since + timedelta(seconds=MARGIN)),
                    CATCH_UP_DEADLINE,
                )
            except TimeoutError:
                log.error("Catching up after %s took over %ds: stopped", why, CATCH_UP_DEADLINE)

    async def _heartbeat(self) -> None:
        """Stay alive, and notice processes that died."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                await self._beat()
                await self._survey()
                self._beats += 1
                if self._beats % SWEEP_EVERY == 0:
                    await self._sweep_nicks()
            except RedisError as exc:
                self._lost(exc)
                # The others lose Redis too: when it is back, give them time to beat.
                self._grace_until = loop.time() + HEARTBEAT + TTL
                # No pings go out meanwhile: the reader is not deaf for missing them.
                self._heard_at = loop.time()
                continue
            except Exception:
                # A bug must not stop the heartbeat: the others would think us dead.
                log.exception("Heartbeat failed")
                continue
            self._back()
            self._maybe_healed()

    async def _beat(self) -> None:
        """One heartbeat: O(processes), whatever the number of users (nick claims
        do not expire, so they need no refreshing)."""
        loop = asyncio.get_running_loop()
        pipe = self._client.pipeline(transaction=False)
        pipe.exists(_alive(self.process_id))
        pipe.set(_alive(self.process_id), "1", ex=TTL)
        others = sorted(self._view.processes())
        for process in others:
            pipe.exists(_alive(process))
        pipe.publish(_inbox(self.process_id), self._ping)  # heard by our reader?
        results = await pipe.execute()
        self._check_hearing(loop.time())
        if not results[0]:
            # Redis forgot us: it restarted empty, or we were cut off past the TTL.
            log.warning("Redis had forgotten this process: publishing its users again")
            self._republish_due = True
            self._reclaim_all = True
            self._grace_until = loop.time() + HEARTBEAT + TTL
        if not self._state_back:
            # Back after an outage: what changed here meanwhile never reached Redis.
            self._republish_due = True
        if self._republish_due:
            # Not through the writer queue: a batch lost to a stale connection there
            # is dropped, here it is retried at the next beat until it succeeds.
            await self._reclaim()
            await self._republish()
            self._republish_due = False
            self._state_back = True
        if loop.time() < self._grace_until:
            return
        for process, alive in zip(others, results[2:-1], strict=True):
            if not alive:
                log.warning("Process %s went away; its users quit", process)
                gone = deliver.process_gone(self._server, self._view, process, deliver.GONE_REASON)
                await self._cleanup(process, gone)

    async def _sweep_nicks(self) -> None:
        """Give back the nicks Redis says are ours but no local user has (a release
        lost to a bug would otherwise keep a nick taken for as long as we run)."""
        server = self._server
        me = self.process_id
        keys = await self._client.smembers(_owned(me))
        prefix = _nick("")
        extra = [
            folded
            for folded in (_text(key).removeprefix(prefix) for key in keys)
            if folded not in server.users and folded not in self._claiming
        ]
        if not extra:
            return
        log.warning("Gave back %d nicks that no user here has", len(extra))
        pipe = self._client.pipeline(transaction=False)
        for folded in extra:
            pipe.eval(RELEASE, 2, _nick(folded), _owned(me), me)
        await pipe.execute()
        # A nick claimed for a user here while the sweep ran: claim it again.
        for folded in extra:
            if folded in server.users or folded in self._claiming:
                await self._claim_in_redis(folded)

    def _check_hearing(self, now: float) -> None:
        """The heartbeat reaches Redis, but has the reader heard our pings lately? A
        subscription whose connection died without an error hears nothing, for
        good: count it as an outage and make redis-py connect again."""
        if not self._subscribed or self._reader_down or now - self._heard_at < DEAF_AFTER:
            return
        log.error("The subscription has heard nothing for %.0f s: connecting again", DEAF_AFTER)
        self._heard_at = now  # one attempt per DEAF_AFTER
        self._lost(RedisConnectionError("subscription deaf"))
        connection = self._pubsub.connection
        if connection is not None:
            # The reader's next read fails (or redis-py reconnects and subscribes
            # again): either way it catches up from history.
            task = asyncio.get_running_loop().create_task(connection.disconnect())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _reclaim(self) -> None:
        """Claim in Redis the nicks given out here while it was away (every local
        nick if Redis forgot them all); where another process has the nick, rename
        our user. Raises :class:`RedisError` if Redis fails (retried next beat)."""
        server = self._server
        nicks = list(server.users) if self._reclaim_all else sorted(self._unconfirmed)
        nicks = [folded for folded in nicks if folded in server.users]
        if nicks:
            me = self.process_id
            pipe = self._client.pipeline(transaction=False)
            for folded in nicks:
                pipe.eval(CLAIM, 2, _nick(folded), _owned(me), me, _ALIVE, _OWNED)
            results = await pipe.execute()
            for folded, won in zip(nicks, results, strict=True):
                if not won and folded in server.users:
                    guest = await self._guest()
                    if outage.give_up_nick(server, folded, guest) is None:
                        self.release_nick(casefold(guest))  # the user left meanwhile
        self._unconfirmed.clear()
        self._reclaim_all = False

    async def _guest(self) -> str:
        """A ``GuestNNNNN`` nick claimed in Redis for this process."""
        while True:
            guest = guest_nick(self._server)
            if await self._claim_in_redis(casefold(guest)):
                return guest

    async def _republish(self) -> None:
        """Put this process's users and memberships back in Redis, and announce them
        to the others (who ignore what they already knew), in one pipeline; raises
        :class:`RedisError` if that fails. Nicks are re-claimed by the heartbeat."""
        server = self._server
        pipe = self._client.pipeline(transaction=False)
        missed, self._missed = self._missed, []
        # The writer's bookkeeping of its own pipeline (indices into its results)
        # must not see the commands of this one.
        updates, creations = self._updates, self._creations
        self._updates, self._creations = [], []
        try:
            self._replay_missed(pipe, missed)
        finally:
            self._updates, self._creations = updates, creations
        # Each channel's state once (also carried by its Joins); the first process
        # to put it back wins, and later changes replace it as usual.
        states = {
            channel.folded: shared.dump(channel)
            for channel in list(server.channels.values())
            if channel.members or channel.permanent
        }
        for folded, session in list(server.users.items()):
            self._queue_commands(pipe, presence.user_up(session))
            for channel in session.channels:
                line = Line("JOIN", (channel.name,), session.source, server.tags())
                status = channel.members.get(session, "")
                account = session.account or "*"
                self._queue_commands(
                    pipe,
                    Join(
                        channel.folded,
                        folded,
                        session.source,
                        status,
                        account,
                        session.realname,
                        line,
                        states.get(channel.folded, ""),
                    ),
                )
        for folded, state in states.items():
            pipe.set(_channel(folded), state, nx=True)
        try:
            await pipe.execute()
        except BaseException:
            self._missed[:0] = missed
            raise

    def _replay_missed(self, pipe: Any, missed: list[Event | str]) -> None:
        """The departures Redis missed, in order, so the others drop users and
        memberships that are gone (in a re-publish, what exists now follows)."""
        me = self.process_id
        for item in missed:
            if isinstance(item, str):
                if item not in self._server.users:  # not taken again here meanwhile
                    pipe.eval(RELEASE, 2, _nick(item), _owned(me), me)
            else:
                self._queue_commands(pipe, item)

    async def _survey(self) -> None:
        """Learn which processes have a heartbeat; log the list when it changes."""
        found: set[str] = set()
        async for key in self._client.scan_iter(match="chatroom:alive:*", count=500):
            found.add(_text(key).removeprefix("chatroom:alive:"))
        found.add(self.process_id)
        if found != self._processes:
            self._processes = found
            log.info("Network: %d processes (%s)", len(found), ", ".join(sorted(found)))

    async def _snapshot(self) -> None:
        """Learn who is on the other processes, and forget what dead ones left."""
        # A bad record (a bug, or an operator's hand) costs one user, never the start.
        users: dict[str, RemoteUser] = {}
        for key, value in (await self._client.hgetall(USERS)).items():
            try:
                users[_text(key)] = remote_user(json.loads(value))
            except ValueError as exc:
                log.warning("Ignored the bad record of user %s: %s", _text(key), exc)
        memberships: list[tuple[str, str, str, str]] = []
        async for key in self._client.scan_iter(match="chatroom:members:*", count=500):
            channel = _text(key).removeprefix("chatroom:members:")
            for nick, value in (await self._client.hgetall(key)).items():
                try:
                    status, process = _membership(json.loads(value))
                except ValueError as exc:
                    log.warning("Ignored a bad member record of %s: %s", channel, exc)
                    continue
                memberships.append((channel, _text(nick), status, process))
        processes = sorted({u.process for u in users.values()} | {m[3] for m in memberships})
        alive = {p for p in processes if await self._client.exists(_alive(p))}
        alive.discard(self.process_id)  # our own users are no remote users
        for folded, user in users.items():
            if user.process in alive:
                self._view.add_user(folded, user)
        for channel, folded, status, process in memberships:
            if process in alive and folded in self._view.users:
                self._view.join(channel, folded, status)
        if asyncio.get_running_loop().time() < self._grace_until:
            return  # Redis restarted: the others may not have beaten again yet
        for process in set(processes) - alive - {self.process_id}:
            dead = [f for f, u in users.items() if u.process == process]
            dead += [m[1] for m in memberships if m[3] == process]
            await self._cleanup(process, dead, memberships)
        await self._snapshot_channels()

    async def _snapshot_channels(self) -> None:
        """Mirror the state of every channel of the network that has members (or is
        permanent); a channel this process restored from the database takes the
        state Redis holds, which is newer."""
        keys = [key async for key in self._client.scan_iter(match="chatroom:channel:*", count=500)]
        states = await self._client.mget(keys) if keys else []
        for key, state in zip(keys, states, strict=True):
            folded = _text(key).removeprefix("chatroom:channel:")
            try:
                if state is None:
                    continue
                text = _text(state)
                local = self._server.channels.get(folded)
                if local is not None:
                    shared.load(local, text)
                elif folded in self._view.members or json.loads(text).get("p"):
                    # (else left behind by a dead process: nobody is in it)
                    deliver.mirror(self._server, text)
            except (ValueError, AttributeError) as exc:  # UnicodeDecodeError included
                log.warning("Ignored the bad state of channel %s: %s", folded, exc)

    async def _cleanup(
        self,
        process: str,
        nicks: list[str],
        memberships: list[tuple[str, str, str, str]] | None = None,
    ) -> None:
        """Remove what ``process`` left in Redis for ``nicks``, and every nick it
        owned (idempotent: several processes may clean up after one dead process)."""
        pipe = self._client.pipeline(transaction=False)
        pipe.eval(FORGET, 1, _owned(process), process)
        for folded in set(nicks):
            pipe.eval(HDEL_OURS, 1, USERS, folded, process)
        if memberships is None:
            channels = [_members(c) async for c in self._scan_channels()]
            for key in channels:
                for folded in set(nicks):
                    pipe.eval(HDEL_OURS, 1, key, folded, process)
            for key in channels:  # their states, if nobody is left in them
                name = key.removeprefix("chatroom:members:")
                pipe.eval(_FORGET, 2, key, _channel(name))
        else:
            for channel, folded, _status, owner in memberships:
                if owner == process:
                    pipe.hdel(_members(channel), folded)
            for channel in {m[0] for m in memberships if m[3] == process}:
                pipe.eval(_FORGET, 2, _members(channel), _channel(channel))
        try:
            await pipe.execute()
        except RedisError as exc:
            self._lost(exc)

    async def _scan_channels(self) -> Any:
        async for key in self._client.scan_iter(match="chatroom:members:*", count=500):
            yield _text(key).removeprefix("chatroom:members:")

    # -- health ------------------------------------------------------------------

    def _lost(self, exc: BaseException) -> None:
        # Echoes of our updates may never come now: owe none (no adoption rather
        # than a count that never comes back to zero).
        self._echoes = shared.Echoes()
        if self._healthy:
            self._healthy = False
            log.error("Lost Redis (%s): users here keep chatting, with this process only", exc)
        self._state_back = False
        if self._down_since is None:
            self._down_since = utc_now()
            self._down_at = asyncio.get_running_loop().time()
            loop = asyncio.get_running_loop()
            self._split_timer = loop.call_later(SPLIT_NOTICE_AFTER, self._tell_split)

    def _back(self) -> None:
        if not self._healthy:
            self._healthy = True
            log.warning("Redis is back: events go to the other processes again")

    def _tell_split(self) -> None:
        """Tell local users the network is split, unless it healed meanwhile (a blip)
        or they were told less than :data:`SPLIT_NOTICE_EVERY` ago (Redis flapping:
        one split notice and one heal notice a minute at most)."""
        if self._down_since is None or self._split_told or not self._tasks:
            return
        now = asyncio.get_running_loop().time()
        if (
            self._last_split_notice is not None
            and now - self._last_split_notice < SPLIT_NOTICE_EVERY
        ):
            return
        self._last_split_notice = now
        self._split_told = True
        outage.tell_everyone(self._server, outage.SPLIT)

    async def _catch_up(self) -> None:
        """Deliver what the other processes stored while our subscription was down
        (the outage is not over until this is done: see :meth:`_maybe_healed`)."""
        start = self._down_since or utc_now()
        # Not healed before this is done (redis-py may have subscribed again
        # without the reader seeing an error, so it may not be marked down yet).
        self._reader_down = True
        try:
            # Who joined the other processes meanwhile (what they re-published
            # before we subscribed again was not heard).
            await self._snapshot()
        except RedisError as exc:
            self._lost(exc)
        if self._server.history is None:
            log.warning(
                "Messages sent on other processes while Redis was away are lost here:"
                " history is off, so there is nothing to catch up from"
            )
        else:
            # Nick clashes are settled first: a renamed twin must not be handed
            # the private messages meant for the nick's other holder.
            settled = await self._state_settled()
            doubtful = set(self._taken_in_outage)
            if not settled:
                doubtful |= set(self._server.users)
            since = start - timedelta(seconds=MARGIN)
            got = await self._catch_up_window(
                since, "losing Redis", held_since=start, doubtful=doubtful
            )
            if self._down_since is not None:  # else healed already: not this outage's
                total = self._caught_up
                self._caught_up = None if got is None or total is None else total + got
        self._reader_down = False
        self._heard_at = asyncio.get_running_loop().time()  # busy, not deaf, till now
        self._maybe_healed()

    async def _state_settled(self) -> bool:
        """Wait (a few heartbeats at most) until the heartbeat has put our state
        back in Redis and settled the nicks given out twice; return whether it has."""
        for _ in range(int(3 * TTL / (HEARTBEAT / 4))):
            if self._state_back:
                return True
            await asyncio.sleep(HEARTBEAT / 4)
        return self._state_back

    async def _catch_up_window(
        self,
        since: datetime,
        why: str,
        *,
        held_since: datetime | None = None,
        doubtful: set[str] | None = None,
    ) -> int | None:
        """Deliver what was stored from ``since`` on and not delivered here yet
        (private messages only to users sure to be their addressees: see
        :func:`~.catchup.catch_up`)."""
        if self._server.history is None:
            return 0
        try:
            count = await catch_up(
                self._server,
                self._view,
                self._delivered,
                self._server.msgid_prefix,
                max(since, self._started),
                utc_now() + timedelta(minutes=1),  # later ones arrive live
                held_since=held_since,
                doubtful=doubtful or set(),
            )
        except Exception:
            log.exception("Could not catch up from history after %s", why)
            return None
        if count is not None:
            log.info("Caught up on %d messages from history after %s", count, why)
        return count

    def _maybe_healed(self) -> None:
        """Once both the subscription and our state in Redis are back, the outage
        is over: tell local users (if they were told of the split)."""
        if self._down_since is None or self._reader_down or not self._state_back:
            return
        if self._heard_at <= self._down_at:
            return  # the subscription has not been heard since: maybe deaf
        if self._split_told:
            count = None if self._server.history is None else self._caught_up
            outage.tell_everyone(self._server, outage.healed(count))
        # What we stored meanwhile may not have reached the others (they need not
        # have lost Redis themselves): they catch up on it, if a write failed.
        if self._writes_failed:
            self.publish(Resync(to_ms(self._down_since - timedelta(seconds=MARGIN))))
        self._writes_failed = False
        self._down_since = None
        self._taken_in_outage.clear()
        self._split_told = False
        if self._split_timer is not None:
            self._split_timer.cancel()  # a blip: nobody was told, nobody will be
            self._split_timer = None
        self._caught_up = 0


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


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _user_record(up: UserUp, process: str) -> str:
    """The ``chatroom:users`` value for a user: short keys, and fields at their
    default (no account, not away, no modes, no TLS) left out, to stay small."""
    record: dict[str, Any] = {"n": up.nick, "s": up.source, "p": process, "r": up.realname}
    if up.account is not None:
        record["a"] = up.account
    if up.away is not None:
        record["w"] = up.away
    if up.modes:
        record["m"] = up.modes
    if up.signon:
        record["t"] = up.signon
    if up.secure:
        record["tls"] = 1
    return json.dumps(record, separators=(",", ":"))


def remote_user(record: Any) -> RemoteUser:
    """The :class:`RemoteUser` a ``chatroom:users`` record describes (a record
    written by an older process, with ``n``, ``s`` and ``p`` only, still reads);
    :class:`ValueError` if it is not such a record."""
    if not isinstance(record, dict):
        raise ValueError("not an object")
    signon = record.get("t", 0)
    if type(signon) is not int:
        raise ValueError("t must be an integer")
    return RemoteUser(
        nick=_field(record, "n"),
        source=_field(record, "s"),
        process=_field(record, "p"),
        realname=_field(record, "r", ""),
        account=_field(record, "a", None),
        away=_field(record, "w", None),
        modes=_field(record, "m", ""),
        signon=signon,
        secure=bool(record.get("tls", False)),
    )


_MISSING: Any = object()


@typing.overload
def _field(record: dict[str, Any], key: str, default: str = ...) -> str: ...
@typing.overload
def _field(record: dict[str, Any], key: str, default: None) -> str | None: ...
def _field(record: dict[str, Any], key: str, default: str | None = _MISSING) -> str | None:
    """The string at ``key`` (``default`` if absent; required without one)."""
    value = record.get(key, default)
    if value is _MISSING:
        raise ValueError(f"no {key}")
    if not (isinstance(value, str) or (value is None and default is None)):
        raise ValueError(f"{key} must be a string")
    return value


def _membership(record: Any) -> tuple[str, str]:
    """``(status, process)`` from a ``chatroom:members:*`` record, or :class:`ValueError`."""
    if not isinstance(record, dict):
        raise ValueError("not an object")
    status, process = record.get("s"), record.get("p")
    if not isinstance(status, str) or not isinstance(process, str):
        raise ValueError("status and process must be strings")
    return status, process


def _safe(url: str) -> str:
    """``url`` without its password, for logs and errors."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest
