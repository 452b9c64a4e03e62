"""The state the parts of the Redis bridge share, declared once.

:class:`~.bridge.RedisBridge` is built in layers, each a module named for what it
does: :class:`BridgeState` (this state, and the heartbeat's timings), then
:class:`~.recovery.Recovery` (losing and regaining Redis), then
:class:`~.liveness.Liveness` (the heartbeat, who is alive, the snapshot, putting
our state back), then :class:`~.writer.Writer` (the writer task and what it sends),
then :class:`~.bridge.RedisBridge` (the Network protocol and the reader). A layer
calls the ones below it directly; the few methods a lower layer needs from a higher
one are declared here, abstract.
"""

from __future__ import annotations

import abc
import asyncio
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis

from chatroom.cluster import channels as shared
from chatroom.cluster.catchup import Delivered
from chatroom.cluster.connect import Subscription
from chatroom.cluster.interest import Interest
from chatroom.cluster.mailbox import Mailbox
from chatroom.cluster.publisher import Publisher
from chatroom.cluster.scripts import CLAIM
from chatroom.cluster.sequence import Numbering, Seen
from chatroom.cluster.unheard import Unheard
from chatroom.server.network.events import ChannelCreated, ChannelUpdate, Event
from chatroom.server.network.view import RemoteView
from chatroom.storage.base import utc_now

if TYPE_CHECKING:
    from chatroom.server.network import Existing
    from chatroom.server.server import Server

HEARTBEAT = 1.0
"""Seconds between heartbeats (and checks that the other processes are alive)."""
TTL = 3
"""Seconds a heartbeat lasts unless refreshed."""


class BridgeState(abc.ABC):
    """What every layer of the bridge reads and writes (see the module docstring)."""

    def __init__(
        self, client: aioredis.Redis, server: Server, process_id: str, pubsub: Subscription
    ) -> None:
        self.process_id = process_id
        # Made in the loop that runs it. Kept: asking asyncio for the running loop
        # costs a system call on Python 3.11 (a process id check), per message here.
        self._loop = asyncio.get_running_loop()
        self._client = client
        self._server = server
        self._view = RemoteView()
        self._queue: Mailbox[Event | str] = Mailbox(self._loop)
        self._tasks: list[asyncio.Task[None]] = []
        self._healthy = True
        self._processes: set[str] = set()  # every process with a heartbeat, us included
        self._other_versions: set[str] = set()  # processes told to speak another version
        self._grace_until = 0.0  # loop time before which nobody is declared dead
        self._republish_due = False  # Redis forgot us; set until re-published
        self._creations: list[tuple[int, ChannelCreated]] = []  # in the batch being written
        # Creations waiting for Redis's answer (create_channel), by their event.
        self._answers: dict[ChannelCreated, asyncio.Future[Existing | None]] = {}
        self._echoes = shared.Echoes()  # own channel updates not heard back yet
        self._updates: list[tuple[int, ChannelUpdate]] = []  # in the batch being written
        self._claim = client.register_script(CLAIM)
        self._pubsub = pubsub  # one Redis or a cluster alike (.connect)
        # Messages published without waiting (.publisher): one Redis only.
        self._publisher: Publisher | None = None
        self._interest = Interest(sharded=False)  # the bridge's open() detects sharding
        # The current outage (see _lost and _maybe_healed); None while all is well.
        self._down_since: datetime | None = None
        self._reader_down = False  # the subscription broke; catch up when it is back
        # The heartbeat publishes a ping to our own inbox; when the reader last heard
        # one (loop time), and when the current outage began: a subscription that
        # died without an error is noticed, and no heal is announced before the
        # reader hears again.
        self._ping = f"ping:{process_id}".encode()
        self._heard_at = 0.0
        self._read_lost_at = 0.0  # loop time the reader last lost its connection
        self._catching_up = False  # the reader is reading history, not Redis
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
        self._numbering = Numbering()  # our events' sequence numbers (.sequence)
        self._seen = Seen()  # the others' sequence numbers applied here
        self._unheard = Unheard()  # messages of channels nobody else is in (.unheard)
        self._writes_failed = False  # during this outage: the others must catch up
        self._resync_since: datetime | None = None  # pending catch-up for others' outages
        self._resync_from: set[str] = set()
        self._resync_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._beats = 0
        self._claiming: Counter[str] = Counter()  # nicks being claimed in Redis now
        self._missed: list[Event | str] = []  # see _keep_missed
        self._started = utc_now()  # nothing before it is caught up: our users were not here

    # -- implemented by the layers above ----------------------------------------

    @abc.abstractmethod
    def publish(self, event: Event) -> None:
        """Queue ``event`` for the writer (:class:`~.bridge.RedisBridge`)."""

    @abc.abstractmethod
    def release_nick(self, folded: str) -> None:
        """Queue giving back a nick claim (:class:`~.bridge.RedisBridge`)."""

    @abc.abstractmethod
    async def _claim_in_redis(self, folded: str) -> bool:
        """Claim a nick in Redis now (:class:`~.bridge.RedisBridge`)."""

    @abc.abstractmethod
    def _queue_commands(self, pipe: Any, event: Event) -> None:
        """Add what ``event`` writes to Redis to ``pipe`` (:class:`~.writer.Writer`)."""

    @abc.abstractmethod
    def _replay_missed(self, pipe: Any, missed: list[Event | str]) -> None:
        """Add the departures Redis missed to ``pipe`` (:class:`~.writer.Writer`)."""

    @abc.abstractmethod
    async def _snapshot(self) -> None:
        """Learn who is on the other processes (:class:`~.liveness.Liveness`)."""
