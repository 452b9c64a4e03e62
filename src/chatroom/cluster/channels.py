"""One channel network-wide: the wire form of its shared state, and its echoes.

With ``--cluster`` a channel is one thing across the processes of a network. Its
state (modes, key, limit, ban/exception/invite-exception lists, topic with setter
and time, creation time, and for a registered room its founder and operator
accounts) lives in two places:

* **Redis**, key ``{chatroom}:channel:<folded name>``: the JSON text :func:`dump`
  writes of a :class:`~chatroom.server.network.state.ChannelState`, the
  authoritative copy a starting process reads (the bridge's snapshot) and that is
  put back after Redis restarted empty (the bridge's republish, ``SET NX``: the
  first process to re-publish wins). It is deleted when the channel is empty
  network-wide (its ``{chatroom}:members:<folded>`` hash is gone) and not
  permanent (registered, or the default room): a Lua script checks both
  atomically.
* **Memory of every process**: a :class:`~chatroom.server.channel.Channel` in
  ``server.channels`` for every channel of the network, even one whose members are
  all on other processes (a *mirror*: no local members, remote members in the
  :class:`~chatroom.server.network.view.RemoteView`; see
  :mod:`chatroom.server.mirror`). So JOIN checks (+i, +k, +l, bans), MODE
  queries, TOPIC, NAMES and LIST stay local and synchronous.

A channel new to the network is created in Redis before its first member is
made operator: the JOIN waits for a Lua script that creates it only if its
``members`` hash does not exist yet. Of two processes creating one channel at the
same instant, only the winner makes an operator; the loser's user joins the
channel that exists, with the winner's state and the usual checks.

A change (MODE, TOPIC, ChanServ REGISTER/UNREGISTER) is applied where it
was made and published once as a
:class:`~chatroom.server.network.events.ChannelUpdate` carrying the whole new
state, the line to show (if any) and the members whose status changed; every other process
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

This module is pure (no I/O): the state's JSON form, and :class:`Echoes`.
"""

from __future__ import annotations

import json
from typing import Any

from chatroom.server.channel import LIST_MODES
from chatroom.server.network.state import ChannelState, Entry


def dump(state: ChannelState) -> str:
    """The channel's shared state as compact JSON (what Redis and the events hold)."""
    body: dict[str, Any] = {
        "n": state.name,
        "c": state.created,
        "m": state.modes,
        "k": state.key,
        "l": state.limit,
        "t": state.topic,
        "ts": state.topic_setter,
        "tt": state.topic_time,
        "f": state.founder,
        "a": list(state.op_accounts),
        "p": state.permanent,
    }
    lists = dict(state.lists)
    for mode in LIST_MODES:
        body[mode] = [list(entry) for entry in lists.get(mode, ())]
    return json.dumps(body, separators=(",", ":"))


def parse(text: str) -> ChannelState:
    """The state ``text`` holds (what :func:`dump` wrote); :class:`ValueError` if it
    is malformed, down to the type of each field."""
    try:
        body = json.loads(text)
        name = body["n"]
        key, limit, founder = body["k"], body["l"], body["f"]
        lists = tuple((mode, tuple(_entry(e) for e in body[mode])) for mode in LIST_MODES)
        if not isinstance(name, str) or not name:
            raise ValueError("no name")
        if not (key is None or isinstance(key, str)) or not (
            limit is None or isinstance(limit, int)
        ):
            raise ValueError("bad key or limit")
        if not (founder is None or isinstance(founder, str)):
            raise ValueError("bad founder")
        return ChannelState(
            name=name,
            created=int(body["c"]),
            modes="".join(sorted({str(m) for m in body["m"]})),
            key=key,
            limit=limit,
            topic=str(body["t"]),
            topic_setter=str(body["ts"]),
            topic_time=int(body["tt"]),
            founder=founder,
            op_accounts=tuple(sorted({str(a) for a in body["a"]})),
            permanent=bool(body["p"]),
            lists=lists,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a channel state: {exc}") from None


def _entry(value: Any) -> Entry:
    mask, setter, at = value
    return str(mask), str(setter), int(at)


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
