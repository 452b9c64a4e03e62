"""Several server processes, one chat network (docs/scale-out.md).

:mod:`~chatroom.cluster.events` (the records processes exchange) and
:mod:`~chatroom.cluster.view` (what one process knows of the others) and
:mod:`~chatroom.cluster.channels` (a channel's shared state, mirrored by every
process) are pure;
:mod:`~chatroom.cluster.deliver` hands remote events to local sessions; only
:mod:`~chatroom.cluster.bridge` talks to Redis (running
:mod:`~chatroom.cluster.scripts` there, on the keys of
:mod:`~chatroom.cluster.keys` and the records of :mod:`~chatroom.cluster.records`),
and only ``--cluster`` imports it. The bridge is built in layers over the state of
:mod:`~chatroom.cluster.state`: :mod:`~chatroom.cluster.recovery` (losing and
regaining Redis), :mod:`~chatroom.cluster.liveness` (heartbeat, snapshot, cleanup,
re-publishing), then the bridge itself (the Network protocol, writer, reader). When
Redis was away, :mod:`~chatroom.cluster.catchup` brings back the missed messages
from the shared history and :mod:`~chatroom.cluster.outage` tells local users.
"""
