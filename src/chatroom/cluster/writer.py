"""The bridge's writer: everything this process tells Redis, in the order it happened.

Events (and nick releases) go through one queue to one task, :meth:`Writer._write`,
which sends what accumulated in one pipeline per event-loop turn, so the other
processes see this process's events in the order they happened here. A batch whose
connection broke is sent again on a fresh connection (``_retry`` in :mod:`.bridge`).
While Redis is away, the departures it misses (quits, parts, nick changes, topics,
each channel's latest state, nick releases) are kept, at most :data:`MISSED`, and
sent first once it is back; the users' own state is re-announced whole by the
heartbeat (:mod:`.liveness`).
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from chatroom.cluster import channels as shared
from chatroom.cluster.events import encode
from chatroom.cluster.keys import (
    EVENTS,
    USERS,
    channel_events_key,
    channel_key,
    inbox_key,
    members_key,
    nick_key,
    owned_key,
)
from chatroom.cluster.liveness import Liveness
from chatroom.cluster.records import user_record
from chatroom.cluster.scripts import (
    CREATE_CHANNEL,
    FORGET_CHANNEL,
    HDEL_OURS,
    RELEASE,
    UPDATE_CHANNEL,
)
from chatroom.protocol.casemap import casefold
from chatroom.server import presence
from chatroom.server.network import Existing
from chatroom.server.network.events import (
    ChannelCreated,
    ChannelLine,
    ChannelMessage,
    ChannelUpdate,
    Event,
    Join,
    Kick,
    Leave,
    NickChange,
    PrivateMessage,
    Quit,
    UserState,
    UserUp,
)
from chatroom.server.network.state import ChannelState
from chatroom.storage.base import to_ms, utc_now

log = logging.getLogger("chatroom.cluster")

MISSED = 10_000
"""At most this many departures (quits, parts, nick changes) kept while Redis is away."""


class Writer(Liveness):
    """The writer task of the bridge and what it sends (see the module docstring)."""

    async def _write(self) -> None:
        """Send queued events (and nick releases) in order, batched per loop turn."""
        while True:
            batch = await self._queue.take()
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
                await self._follow()
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
                kept = {id(item) for item in self._missed}  # sent again: same number
                self._numbering.done(i for i in (*batch, *missed) if id(i) not in kept)
                for item in batch:  # unanswered (Redis failed): created here, then
                    if isinstance(item, ChannelCreated):
                        self._answer(item, None)
                self._creations.clear()
                self._updates.clear()
                self._queue.done(len(batch))

    async def _send(self, batch: list[Event | str], missed: list[Event | str]) -> list[Any]:
        publisher = self._publisher
        if publisher is not None:
            messages = [item for item in batch if isinstance(item, _MESSAGES)]
            if not missed and len(messages) == len(batch):
                # Only messages (the bulk of the traffic): written, not waited for.
                commands = _Commands()
                for message in messages:
                    self._queue_message(commands, self._numbering.of(message), message)
                if commands.parts:
                    await publisher.send(commands.commands())
                return []  # the publisher checks the replies
            await publisher.settled()  # the messages before this batch are in Redis
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

    async def _follow(self) -> None:
        """Subscribe to the messages of every channel with local members, and only
        those (:mod:`.interest`), before this batch's JOINs reach the others."""
        wanted = {c.folded for c in self._server.channels.values() if c.members}
        add, drop = self._interest.changes(wanted)
        sharded = self._interest.sharded
        pubsub = self._pubsub
        try:
            # One command per channel: on a Redis Cluster, every shard channel of
            # one SSUBSCRIBE must be in one slot.
            for channel in add:
                key = channel_events_key(channel)
                await (pubsub.ssubscribe(key) if sharded else pubsub.subscribe(key))
        except (RedisError, OSError) as exc:
            # Asked again with the next event; the reader's reconnection catches up.
            log.warning("Could not subscribe to channel messages: %s", exc)
            self._interest.failed(add)
        for channel in drop:
            key = channel_events_key(channel)
            with contextlib.suppress(RedisError):  # the reconnection drops it anyway
                await (pubsub.sunsubscribe(key) if sharded else pubsub.unsubscribe(key))

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

    def _queue_commands(self, pipe: Any, event: Event) -> None:
        me = self.process_id
        seq = self._numbering.of(event)
        match event:
            case ChannelMessage() | PrivateMessage() | Kick():
                self._queue_message(pipe, seq, event)
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
                envelope = encode(me, seq, event)
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
                envelope = encode(me, seq, event)
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
        pipe.publish(EVENTS, encode(me, seq, event))

    def _queue_message(
        self, pipe: Any, seq: int, event: ChannelMessage | PrivateMessage | Kick
    ) -> None:
        """A message for the processes that can hear it, and only those."""
        me = self.process_id
        if isinstance(event, ChannelMessage):
            if event.channel not in self._view.members:
                # Nobody elsewhere to hear it: kept a moment, not sent (.unheard).
                self._unheard.keep(to_ms(utc_now()), event)
                return
            only = self._only_listener(event.channel)
            if only is not None:
                # One other process to hear it: its inbox, so this process does not
                # read its own message back. Kept as if unheard: a third process
                # joining meanwhile gets it when its JOIN arrives (.unheard).
                self._unheard.keep(to_ms(utc_now()), event)
                pipe.publish(inbox_key(only), encode(me, seq, event))
                return
            # Heard only by the processes with members there (.interest).
            key, envelope = channel_events_key(event.channel), encode(me, seq, event)
            if self._interest.sharded:
                pipe.spublish(key, envelope)
            else:
                pipe.publish(key, envelope)
            return
        owner = self._view.users.get(event.target)  # a private message, a KICK
        if owner is not None:
            pipe.publish(inbox_key(owner.process), encode(me, seq, event))

    def _only_listener(self, channel: str) -> str | None:
        """The one other process with members in ``channel``, if only one has any,
        and on one Redis only (on a cluster an inbox and a shard channel are on
        different nodes: their messages could overtake each other)."""
        if self._publisher is None:
            return None
        users = self._view.users
        only = None
        for nick in self._view.members.get(channel, ()):
            user = users.get(nick)
            if user is None or (only is not None and user.process != only):
                return None
            only = user.process
        return only

    def _record_of(self, folded: str) -> str | None:
        """The ``{chatroom}:users`` record of local user ``folded`` as it is now (if
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


_MESSAGES = (ChannelMessage, PrivateMessage)


class _Commands:
    """Collects what :meth:`Writer._queue_message` publishes, for the publisher.

    Envelopes that follow each other to the same pub/sub channel go out as one
    publish, back to back (up to :data:`BUNDLE` bytes): under load a loop turn
    holds many messages for one busy room, and each publish costs Redis, the
    publisher and every subscriber a reply or a read, whatever its size
    (``python -m bench.hop --batch``). Order holds: only neighbours are joined."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, str, list[bytes], int]] = []

    def publish(self, channel: str, data: bytes) -> None:
        self._add("PUBLISH", channel, data)

    def spublish(self, channel: str, data: bytes) -> None:
        self._add("SPUBLISH", channel, data)

    def _add(self, command: str, channel: str, data: bytes) -> None:
        if self.parts:
            last_command, last_channel, envelopes, size = self.parts[-1]
            fits = size + len(data) <= BUNDLE
            if last_channel == channel and last_command == command and fits:
                envelopes.append(data)
                self.parts[-1] = (command, channel, envelopes, size + len(data))
                return
        self.parts.append((command, channel, [data], len(data)))

    def commands(self) -> list[tuple[str, str, bytes]]:
        return [(command, channel, b"".join(data)) for command, channel, data, _ in self.parts]


BUNDLE = 32 * 1024
"""Most bytes of envelopes joined in one publish (a reader's buffer stays small); one
larger envelope goes alone."""


def _state_of(stored: Any) -> ChannelState | None:
    """The channel state Redis answered with, or None if it holds none or an
    unreadable one (not UTF-8 is as malformed as bad JSON): no mirror is made."""
    if not isinstance(stored, bytes):
        return None
    try:
        return shared.parse(stored.decode(errors="replace"))
    except ValueError:
        return None
