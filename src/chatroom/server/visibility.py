"""Who may see whom: invisible users (+i) and secret channels (+s).

One set of rules for users of this process and of the other processes of the
network (``--cluster``), so NAMES, WHO and WHOIS cannot drift apart. Modern IRC:
an invisible user is hidden from those who share no channel with it; a secret
channel is hidden from those who are not in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from chatroom.protocol.casemap import casefold
from chatroom.server.channel import status_prefix
from chatroom.server.network.view import RemoteUser

if TYPE_CHECKING:
    from chatroom.server.channel import Channel
    from chatroom.server.server import Server
    from chatroom.server.session import Session


def shows_channel(viewer: Session, channel: Channel, *, invisible: bool = False) -> bool:
    """Whether ``viewer`` may see ``channel`` (its members, in NAMES/WHO), or see it
    among the channels of a user (WHOIS; ``invisible``: that user is +i): always if
    a member, else only if the channel is not secret and the user not invisible."""
    return viewer in channel.members or ("s" not in channel.modes and not invisible)


def sees_user(server: Server, viewer: Session, other: Session | RemoteUser) -> bool:
    """Whether ``viewer`` finds ``other`` by a mask (WHO): an invisible user only
    if they share a channel, or it is the viewer, or the viewer is an operator."""
    if not other.invisible or other is viewer or viewer.is_operator:
        return True
    theirs = _channels_of(server, other)
    return any(channel.folded in theirs for channel in viewer.channels)


def channel_members(
    server: Server, viewer: Session, channel: Channel, multi: bool
) -> Iterator[tuple[str, Session | RemoteUser]]:
    """``(prefix, member)`` for each member of ``channel``, on any process, that
    ``viewer`` is shown (all to a member, the visible ones to others). The caller
    checks :func:`shows_channel` first."""
    member = viewer in channel.members
    for peer in list(channel.members):
        if member or not peer.invisible:
            yield channel.prefix(peer, multi), peer
    view = server.network.view
    for folded, status in list(view.members.get(channel.folded, {}).items()):
        user = view.users.get(folded)
        if user is not None and (member or not user.invisible):
            yield status_prefix(status, multi), user


def _channels_of(server: Server, other: Session | RemoteUser) -> set[str]:
    """The folded names of the channels ``other`` is in."""
    if isinstance(other, RemoteUser):
        return server.network.view.channels_of(casefold(other.nick))
    return {channel.folded for channel in other.channels}
