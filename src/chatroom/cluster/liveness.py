"""Who is alive, for the bridge: the heartbeat (which also notices dead processes
and cleans up after them), the snapshot a starting process reads to learn who is
where, and putting this process's state back in Redis after an outage (its users,
memberships and nicks; a nick another process kept meanwhile is given up here).
After a restart of Redis, nobody is declared dead for one :data:`~.state.TTL`, so
the others have time to beat again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from redis.exceptions import RedisError

from chatroom.cluster import channels as shared
from chatroom.cluster import deliver, outage
from chatroom.cluster.events import WIRE_VERSION
from chatroom.cluster.keys import (
    ALIVE_PREFIX,
    CHANNEL_PREFIX,
    MEMBERS_PREFIX,
    OWNED_PREFIX,
    USERS,
    alive_key,
    channel_key,
    inbox_key,
    members_key,
    nick_key,
    owned_key,
)
from chatroom.cluster.records import as_text, membership, remote_user
from chatroom.cluster.recovery import Recovery
from chatroom.cluster.scripts import CLAIM, FORGET, FORGET_CHANNEL, HDEL_OURS, RELEASE
from chatroom.cluster.state import HEARTBEAT, TTL
from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.server import presence
from chatroom.server.auth import guest_nick
from chatroom.server.mirror import restore, snapshot
from chatroom.server.network.events import Join
from chatroom.server.network.state import ChannelState
from chatroom.server.network.view import RemoteUser

log = logging.getLogger("chatroom.cluster")

SWEEP_EVERY = 10
"""Heartbeats between two checks that every nick Redis lists as ours has a user here
(one SMEMBERS, O(local users))."""


class Liveness(Recovery):
    """The bridge's heartbeat, snapshot, cleanup and re-publishing."""

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
        pipe.exists(alive_key(self.process_id))
        pipe.set(alive_key(self.process_id), WIRE_VERSION, ex=TTL)
        others = sorted(self._view.processes())
        for process in others:
            pipe.exists(alive_key(process))
        if loop.time() - self._heard_at >= HEARTBEAT:
            # Heard by our reader? Only when it heard nothing else lately: on a
            # busy network every event read proves the subscription alive.
            pipe.publish(inbox_key(self.process_id), self._ping)
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
        for process, alive in zip(others, results[2 : 2 + len(others)], strict=True):
            if not alive:
                log.warning("Process %s went away; its users quit", process)
                gone = deliver.process_gone(self._server, self._view, process, deliver.GONE_REASON)
                self._seen.forget(process)  # its numbers: memory for the living only
                await self._cleanup(process, gone)

    async def _sweep_nicks(self) -> None:
        """Give back the nicks Redis says are ours but no local user has (a release
        lost to a bug would otherwise keep a nick taken for as long as we run)."""
        server = self._server
        me = self.process_id
        keys = await self._client.smembers(owned_key(me))
        prefix = nick_key("")
        extra = [
            folded
            for folded in (as_text(key).removeprefix(prefix) for key in keys)
            if folded not in server.users and folded not in self._claiming
        ]
        if not extra:
            return
        log.warning("Gave back %d nicks that no user here has", len(extra))
        pipe = self._client.pipeline(transaction=False)
        for folded in extra:
            pipe.eval(RELEASE, 2, nick_key(folded), owned_key(me), me)
        await pipe.execute()
        # A nick claimed for a user here while the sweep ran: claim it again.
        for folded in extra:
            if folded in server.users or folded in self._claiming:
                await self._claim_in_redis(folded)

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
                pipe.eval(CLAIM, 2, nick_key(folded), owned_key(me), me, ALIVE_PREFIX, OWNED_PREFIX)
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
            channel.folded: snapshot(channel)
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
                        states.get(channel.folded),
                    ),
                )
        for folded, state in states.items():
            pipe.set(channel_key(folded), shared.dump(state), nx=True)
        try:
            await pipe.execute()
        except BaseException:
            self._missed[:0] = missed
            raise
        self._numbering.done(missed)

    async def _survey(self) -> None:
        """Learn which processes have a heartbeat; log the list when it changes."""
        found: set[str] = set()
        async for key in self._client.scan_iter(match=f"{ALIVE_PREFIX}*", count=500):
            found.add(as_text(key).removeprefix(ALIVE_PREFIX))
        found.add(self.process_id)
        if found != self._processes:
            new = sorted(found - self._processes - {self.process_id})
            # Versions first: if this fails, the next survey sees them as new again.
            versions = await self._client.mget([alive_key(p) for p in new]) if new else []
            self._processes = found
            log.info("Network: %d processes (%s)", len(found), ", ".join(sorted(found)))
            for process, version in zip(new, versions, strict=True):
                if version is not None and as_text(version) != str(WIRE_VERSION):
                    self._other_version(process, as_text(version))

    def _other_version(self, process: str, version: str) -> None:
        """Say once that ``process`` speaks another wire version than this one (its
        heartbeat says so, or its events): neither reads the other's events."""
        if process in self._other_versions:
            return
        self._other_versions.add(process)
        log.error(
            "Process %s speaks version %s of the network's events, this one %d: they "
            "cannot read each other's events. Run one version of chatroom on a "
            "network (docs/scale-out.md, upgrades)",
            process,
            version,
            WIRE_VERSION,
        )

    async def _snapshot(self) -> None:
        """Learn who is on the other processes, and forget what dead ones left."""
        # A bad record (a bug, or an operator's hand) costs one user, never the start.
        users: dict[str, RemoteUser] = {}
        for key, value in (await self._client.hgetall(USERS)).items():
            try:
                users[as_text(key)] = remote_user(json.loads(value))
            except ValueError as exc:
                log.warning("Ignored the bad record of user %s: %s", as_text(key), exc)
        memberships: list[tuple[str, str, str, str]] = []
        async for key in self._client.scan_iter(match=f"{MEMBERS_PREFIX}*", count=500):
            channel = as_text(key).removeprefix(MEMBERS_PREFIX)
            for nick, value in (await self._client.hgetall(key)).items():
                try:
                    status, process = membership(json.loads(value))
                except ValueError as exc:
                    log.warning("Ignored a bad member record of %s: %s", channel, exc)
                    continue
                memberships.append((channel, as_text(nick), status, process))
        processes = sorted({u.process for u in users.values()} | {m[3] for m in memberships})
        alive = {p for p in processes if await self._client.exists(alive_key(p))}
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
        keys = [key async for key in self._client.scan_iter(match=f"{CHANNEL_PREFIX}*", count=500)]
        states = await self._client.mget(keys) if keys else []
        for key, state in zip(keys, states, strict=True):
            folded = as_text(key).removeprefix(CHANNEL_PREFIX)
            try:
                if state is None:
                    continue
                shared_state = shared.parse(as_text(state))
                local = self._server.channels.get(folded)
                if local is not None:
                    restore(local, shared_state)
                elif folded in self._view.members or shared_state.permanent:
                    # (else left behind by a dead process: nobody is in it)
                    deliver.mirror(self._server, shared_state)
            except (ValueError, AttributeError) as exc:  # UnicodeDecodeError included
                log.warning("Ignored the bad state of channel %s: %s", folded, exc)

    async def _stored_state(self, folded: str) -> ChannelState | None:
        """The state Redis holds of channel ``folded`` (a JOIN event carries none),
        or None if there is none, it cannot be read, or Redis did not answer."""
        try:
            stored = await self._client.get(channel_key(folded))
        except RedisError as exc:
            log.warning("Could not read the state of channel %s: %s", folded, exc)
            return None
        if stored is None:
            return None
        try:
            return shared.parse(as_text(stored))
        except (ValueError, AttributeError) as exc:  # UnicodeDecodeError included
            log.warning("Ignored the bad state of channel %s: %s", folded, exc)
            return None

    async def _cleanup(
        self,
        process: str,
        nicks: list[str],
        memberships: list[tuple[str, str, str, str]] | None = None,
    ) -> None:
        """Remove what ``process`` left in Redis for ``nicks``, and every nick it
        owned (idempotent: several processes may clean up after one dead process)."""
        pipe = self._client.pipeline(transaction=False)
        pipe.eval(FORGET, 1, owned_key(process), process)
        for folded in set(nicks):
            pipe.eval(HDEL_OURS, 1, USERS, folded, process)
        if memberships is None:
            channels = [members_key(c) async for c in self._scan_channels()]
            for key in channels:
                for folded in set(nicks):
                    pipe.eval(HDEL_OURS, 1, key, folded, process)
            for key in channels:  # their states, if nobody is left in them
                name = key.removeprefix(MEMBERS_PREFIX)
                pipe.eval(FORGET_CHANNEL, 2, key, channel_key(name))
        else:
            for channel, folded, _status, owner in memberships:
                if owner == process:
                    pipe.hdel(members_key(channel), folded)
            for channel in {m[0] for m in memberships if m[3] == process}:
                pipe.eval(FORGET_CHANNEL, 2, members_key(channel), channel_key(channel))
        try:
            await pipe.execute()
        except RedisError as exc:
            self._lost(exc)

    async def _scan_channels(self) -> Any:
        async for key in self._client.scan_iter(match=f"{MEMBERS_PREFIX}*", count=500):
            yield as_text(key).removeprefix(MEMBERS_PREFIX)
