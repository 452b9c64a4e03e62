"""Several server processes, one chat network (docs/scale-out.md).

:mod:`~chatroom.cluster.events` (the records processes exchange) and
:mod:`~chatroom.cluster.view` (what one process knows of the others) and
:mod:`~chatroom.cluster.channels` (a channel's shared state, mirrored by every
process) are pure;
:mod:`~chatroom.cluster.deliver` hands remote events to local sessions; only
:mod:`~chatroom.cluster.bridge` talks to Redis (running
:mod:`~chatroom.cluster.scripts` there), and only ``--cluster`` imports it. When
Redis was away, :mod:`~chatroom.cluster.catchup` brings back the missed messages
from the shared history and :mod:`~chatroom.cluster.outage` tells local users.
"""
