"""Several server processes, one chat network (docs/scale-out.md): the Redis
implementation of the core's network seam (:mod:`chatroom.server.network`, which
holds the events, the view of remote users and the channel state).

:mod:`~chatroom.cluster.events` (the wire form of the events) and
:mod:`~chatroom.cluster.channels` (the wire form of a channel's shared state, and
the echoes of this process's own updates) are pure;
:mod:`~chatroom.cluster.deliver` hands remote events to local sessions; only
:mod:`~chatroom.cluster.bridge` talks to Redis (running
:mod:`~chatroom.cluster.scripts` there, on the keys of
:mod:`~chatroom.cluster.keys` and the records of :mod:`~chatroom.cluster.records`),
and only ``--cluster`` imports it. The bridge is built in layers over the state of
:mod:`~chatroom.cluster.state`: :mod:`~chatroom.cluster.recovery` (losing and
regaining Redis), :mod:`~chatroom.cluster.liveness` (heartbeat, snapshot, cleanup,
re-publishing), :mod:`~chatroom.cluster.writer` (the writer task), then the bridge
itself (the Network protocol, the reader). When Redis was away,
:mod:`~chatroom.cluster.catchup` brings back the missed messages from the shared
history and :mod:`~chatroom.cluster.outage` tells local users.
"""
