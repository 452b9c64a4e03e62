"""Losing and regaining Redis, for the bridge: when Redis is unreachable, events
are dropped with a log line, local chat goes on, and local users are told the
network is split (:mod:`.outage`), unless Redis is back within
:data:`SPLIT_NOTICE_AFTER`. The outage is over once both the subscription and our
state in Redis are back: the process catches up on the messages it missed from
the shared history (:mod:`.catchup`), tells its users the network is whole again,
and publishes :class:`~chatroom.server.network.events.Resync` so the others catch
up on what it stored.
A subscription that hears nothing, not even our own pings, counts as lost too.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from chatroom.cluster import channels as shared
from chatroom.cluster import outage
from chatroom.cluster.catchup import catch_up
from chatroom.cluster.state import HEARTBEAT, TTL, BridgeState
from chatroom.server.network.events import Resync
from chatroom.storage.base import to_ms, utc_now

log = logging.getLogger("chatroom.cluster")

DEAF_AFTER = 10 * HEARTBEAT
"""Seconds without hearing our own ping before the subscription counts as dead."""
MARGIN = 15.0
"""Seconds before an outage was noticed from which messages are caught up: a
publish may have failed (or a read stalled, up to the socket timeout) before."""
CATCH_UP_DEADLINE = 60
"""Seconds a catch-up for another process's outage may take before it is stopped."""
SPLIT_NOTICE_AFTER = 2 * HEARTBEAT
"""Seconds Redis must stay away before local users are told the network is split."""
SPLIT_NOTICE_EVERY = 60.0
"""Seconds after a split notice during which another split is not announced."""


class Recovery(BridgeState):
    """The bridge's outage handling: noticing it, telling users, catching up."""

    def _lost(self, exc: BaseException) -> None:
        # Echoes of our updates may never come now: owe none (no adoption rather
        # than a count that never comes back to zero).
        self._echoes = shared.Echoes()
        self._server.metrics.network_reachable = False
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
        self._server.metrics.network_reachable = True
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
        self._catching_up = True
        try:
            await self._catch_up_since(start)
        finally:
            self._catching_up = False
        self._reader_down = False
        self._heard_at = asyncio.get_running_loop().time()  # busy, not deaf, till now
        self._maybe_healed()

    async def _catch_up_since(self, start: datetime) -> None:
        """Who is where now, then the history stored since ``start`` (less a margin)."""
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

    def _check_hearing(self, now: float) -> None:
        """The heartbeat reaches Redis, but has the reader heard our pings lately? A
        subscription whose connection died without an error hears nothing, for
        good: count it as an outage and connect again."""
        # Also while the reader is down: a connection made again may be as silent
        # (cut again after DEAF_AFTER from the loss); never while it reads history.
        quiet = now - max(self._heard_at, self._read_lost_at)
        if not self._subscribed or self._catching_up or quiet < DEAF_AFTER:
            return
        log.error("The subscription has heard nothing for %.0f s: connecting again", DEAF_AFTER)
        self._heard_at = now  # one attempt per DEAF_AFTER
        self._lost(RedisConnectionError("subscription deaf"))
        # The reader's read fails; it connects and subscribes again, and catches
        # up from history.
        self._pubsub.drop()

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
