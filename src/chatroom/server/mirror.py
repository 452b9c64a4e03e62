"""A channel and its shared state: the snapshot the network carries, and mirrors.

Every process holds every channel of its network: one with members here, or a
*mirror* (no members here, members in the view), so JOIN checks (+i, +k, +l,
bans), MODE queries, TOPIC, NAMES and LIST stay local and synchronous. A process
alone has no mirrors, only its own channels. A mirror is only ever made from a
real state (:func:`mirror_of`): never one with default modes, which would let
anyone past the channel's bans, key and +i. Pure: no I/O.
"""

from __future__ import annotations

from chatroom.protocol.casemap import casefold
from chatroom.server.channel import FLAG_MODES, LIST_MODES, Channel, ListEntry
from chatroom.server.network.state import ChannelState
from chatroom.server.network.view import RemoteView


def snapshot(channel: Channel) -> ChannelState:
    """The channel's shared state now (what other processes mirror)."""
    return ChannelState(
        name=channel.name,
        created=channel.created,
        modes="".join(sorted(channel.modes)),
        key=channel.key,
        limit=channel.limit,
        topic=channel.topic,
        topic_setter=channel.topic_setter,
        topic_time=channel.topic_time,
        founder=channel.founder,
        op_accounts=tuple(sorted(channel.op_accounts)),
        permanent=channel.permanent,
        lists=tuple(
            (mode, tuple((e.mask, e.setter, e.set_at) for e in channel.lists[mode]))
            for mode in LIST_MODES
        ),
    )


def restore(channel: Channel, state: ChannelState) -> None:
    """Replace the channel's shared state with ``state`` (members are left alone;
    modes this server does not know, and lists it does not keep, are dropped)."""
    given = dict(state.lists)
    channel.created = state.created
    channel.modes = {m for m in state.modes if m in FLAG_MODES}
    channel.key = state.key
    channel.limit = state.limit
    channel.topic, channel.topic_setter = state.topic, state.topic_setter
    channel.topic_time = state.topic_time
    channel.lists = {
        mode: tuple(ListEntry(*entry) for entry in given.get(mode, ())) for mode in LIST_MODES
    }
    channel.founder = state.founder
    channel.op_accounts = set(state.op_accounts)
    channel.permanent = state.permanent


def mirror_of(state: ChannelState) -> Channel:
    """A new channel (no members) holding ``state``: the only way a mirror is made."""
    channel = Channel(state.name, casefold(state.name))
    restore(channel, state)
    return channel


def is_orphan(channel: Channel, view: RemoteView) -> bool:
    """True when nobody is in the channel on any process and it is not permanent:
    it (its mirror, and its state in the network) should go."""
    return not channel.members and not channel.permanent and not view.member_count(channel.folded)
