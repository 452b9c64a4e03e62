"""One channel network-wide: the state every process mirrors, and its wire form.

With ``--cluster`` a channel is one thing across the processes of a network. Its
state (modes, key, limit, ban/exception/invite-exception lists, topic with setter
and time, creation time, and for a registered room its founder and operator
accounts) lives in two places:

* **Redis**, key ``chatroom:channel:<folded name>``: the JSON text :func:`dump`
  writes, the authoritative copy a starting process reads (the bridge's
  snapshot) and that is put back after Redis restarted empty (the bridge's
  republish, ``SET NX``: the first process to re-publish wins). It is deleted
  when the channel is empty network-wide (its ``chatroom:members:<folded>`` hash
  is gone) and not permanent (registered, or the default room): a Lua script
  checks both atomically.
* **Memory of every process**: a :class:`~chatroom.server.channel.Channel` in
  ``server.channels`` for every channel of the network, even one whose members are
  all on other processes (a *mirror*: no local members, remote members in the
  :class:`~chatroom.cluster.view.RemoteView`). So JOIN checks (+i, +k, +l, bans),
  MODE queries, TOPIC, NAMES and LIST stay local and synchronous.

A channel new to the network is created in Redis before its first member is
made operator: the JOIN waits for a Lua script that creates it only if its
``members`` hash does not exist yet. Of two processes creating one channel at the
same instant, only the winner makes an operator; the loser's user joins the
channel that exists, with the winner's state and the usual checks.

A change (MODE, TOPIC, ChanServ REGISTER/UNREGISTER) is applied where it
was made and published once as a
:class:`~chatroom.cluster.events.ChannelUpdate` carrying the whole new state, the
line to show (if any) and the members whose status changed; every other process
replaces its mirror's state with it. Only the process where a change was made
publishes a state, never one that merely received it (it could be older than
Redis's by then). Redis stores and publishes each update in one script, so every
process hears the states in the order Redis stored them; with :class:`Echoes`, the
author of an overtaken change adopts the last state too. Two changes made at the
same instant on two processes: the one Redis ran last wins everywhere, Redis
included (state is replaced whole, not merged), which is what IRC networks have
always done on a netsplit.

A mirror is only ever made from a real state (:func:`parse`): Redis's, or the one
a ``Join`` carries; never a default one, which would let anyone past the channel's
bans, key and +i.

This module is pure (no I/O): the state's JSON form, and the rules about mirrors.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chatroom.protocol.casemap import casefold
from chatroom.server.channel import FLAG_MODES, LIST_MODES, Channel, ListEntry

if TYPE_CHECKING:
    from chatroom.cluster.view import RemoteView


def dump(channel: Channel) -> str:
    """The channel's shared state as compact JSON (what Redis and the events hold)."""
    body: dict[str, Any] = {
        "n": channel.name,
        "c": channel.created,
        "m": "".join(sorted(channel.modes)),
        "k": channel.key,
        "l": channel.limit,
        "t": channel.topic,
        "ts": channel.topic_setter,
        "tt": channel.topic_time,
        "f": channel.founder,
        "a": sorted(channel.op_accounts),
        "p": channel.permanent,
    }
    for mode in LIST_MODES:
        body[mode] = [[e.mask, e.setter, e.set_at] for e in channel.lists[mode]]
    return json.dumps(body, separators=(",", ":"))


def name_of(state: str) -> str:
    """The channel's display name in ``state``; :class:`ValueError` if malformed."""
    try:
        name = json.loads(state)["n"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a channel state: {exc}") from None
    if not isinstance(name, str) or not name:
        raise ValueError("not a channel state: no name")
    return name


def load(channel: Channel, state: str) -> None:
    """Replace the channel's shared state with ``state`` (members are left alone).

    :class:`ValueError` if ``state`` is malformed; the channel is then unchanged."""
    try:
        body = json.loads(state)
        modes = {m for m in body["m"] if m in FLAG_MODES}
        key = body["k"]
        limit = body["l"]
        lists = {
            mode: tuple(
                ListEntry(str(mask), str(setter), int(at)) for mask, setter, at in body[mode]
            )
            for mode in LIST_MODES
        }
        founder = body["f"]
        if not (key is None or isinstance(key, str)) or not (
            limit is None or isinstance(limit, int)
        ):
            raise ValueError("bad key or limit")
        if not (founder is None or isinstance(founder, str)):
            raise ValueError("bad founder")
        created, topic_time = int(body["c"]), int(body["tt"])
        topic, setter = str(body["t"]), str(body["ts"])
        accounts = {str(a) for a in body["a"]}
        permanent = bool(body["p"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a channel state: {exc}") from None
    channel.created = created
    channel.modes = modes
    channel.key = key
    channel.limit = limit
    channel.topic, channel.topic_setter, channel.topic_time = topic, setter, topic_time
    channel.lists = lists
    channel.founder = founder
    channel.op_accounts = accounts
    channel.permanent = permanent


def parse(state: str) -> Channel:
    """A new channel (no members) holding ``state``; :class:`ValueError` if malformed.
    The only way a mirror is made: never one with default modes, which would let
    anyone past the real channel's bans, key and +i."""
    name = name_of(state)
    channel = Channel(name, casefold(name))
    load(channel, state)
    return channel


def remote_count(view: RemoteView | None, folded: str) -> int:
    """How many members ``folded`` has on the other processes (0 without a network)."""
    if view is None:
        return 0
    return len(view.members.get(folded, ()))


def is_orphan(channel: Channel, view: RemoteView | None) -> bool:
    """True when nobody is in the channel on any process and it is not permanent:
    its mirror (and its state in Redis) should go."""
    return not channel.members and not channel.permanent and not remote_count(view, channel.folded)


class Echoes:
    """Which of this process's own channel updates are still on their way back
    from Redis, so that every process ends with the state Redis holds.

    Redis runs each update (store the state, publish it) as one script, so the
    order of the stored states is the order every process hears them in. The
    process that made a change has applied it already and skips its own echo,
    except when another process's update for that channel was heard after this
    one was sent: that one replaced the state here, but Redis ran it first, so
    the echo of the last own update in flight is the state Redis holds, and is
    adopted (without showing its line again)."""

    def __init__(self) -> None:
        self._in_flight: dict[str, int] = {}  # folded channel -> own updates unheard
        self._overtaken: set[str] = set()  # channels where another's update came between

    def sent(self, channel: str) -> None:
        """An own update with a state for ``channel`` was published."""
        self._in_flight[channel] = self._in_flight.get(channel, 0) + 1

    def heard_other(self, channel: str) -> None:
        """Another process's update with a state for ``channel`` arrived."""
        if channel in self._in_flight:
            self._overtaken.add(channel)

    def heard_own(self, channel: str) -> bool:
        """An own update came back (or was lost: Redis never ran it); True if its
        state must be adopted now."""
        left = self._in_flight.get(channel, 0) - 1
        if left > 0:
            self._in_flight[channel] = left
            return False
        self._in_flight.pop(channel, None)
        if channel in self._overtaken:
            self._overtaken.discard(channel)
            return True
        return False
