"""Deliver events from other processes to this process's sessions.

No I/O of its own: :func:`apply` updates the :class:`~chatroom.server.network.view.RemoteView`
and queues lines for local sessions through the server's usual output path
(:class:`~chatroom.server.outgoing.Outgoing`, one formatting per tag profile).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from chatroom.protocol.casemap import casefold, is_channel_name
from chatroom.protocol.line import Line
from chatroom.server import monitoring, presence
from chatroom.server.commands.redaction import CAP as REDACTION
from chatroom.server.mirror import is_orphan, mirror_of, restore
from chatroom.server.network.events import (
    ChannelCreated,
    ChannelLine,
    ChannelMessage,
    ChannelUpdate,
    Event,
    Invite,
    Join,
    Kick,
    Leave,
    NickChange,
    PrivateMessage,
    ProcessGone,
    Quit,
    Redaction,
    UserState,
    UserUp,
)
from chatroom.server.network.state import ChannelState
from chatroom.server.network.view import RemoteUser, RemoteView
from chatroom.server.outgoing import MSGTAGS, Outgoing

if TYPE_CHECKING:
    from chatroom.server.channel import Channel
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.cluster")

GONE_REASON = "Server went away"


def apply(server: Server, view: RemoteView, origin: str, event: Event) -> None:
    """Apply one event published by process ``origin`` (never this process): update
    ``view`` and this process's mirrors, and queue what local sessions are shown.
    An event of a type this process does not know is ignored."""
    match event:
        case ChannelMessage():
            _channel_message(server, event)
        case PrivateMessage(target, line, tagmsg):
            session = server.users.get(target)
            if session is not None:
                _send([session], Outgoing(line), tagmsg)
        case UserUp():
            view.add_user(casefold(event.nick), RemoteUser.from_up(event, origin))
            monitoring.online(server.watchlist, event.nick, event.source)
        case Join():
            _join(server, view, origin, event)
        case Leave():
            _leave(server, view, origin, event)
        case ChannelLine():
            _channel_line(server, event)
        case Quit():
            _quit(server, view, origin, event)
        case NickChange():
            _nick_change(server, view, origin, event)
        case ProcessGone(reason):
            process_gone(server, view, origin, reason)
        case UserState():
            _user_state(server, view, origin, event)
        case ChannelUpdate(channel, state, statuses, line):
            channel_update(server, view, channel, state, statuses, line)
        case Invite(channel, target, line):
            invite(server, channel, target, line)
        case Kick(channel, target, line):
            kick(server, channel, target, line)
        case Redaction(target, line):
            _redaction(server, target, line)
        case ChannelCreated(channel, _nick, state):
            # Comes before the creator's JOIN: the mirror is made here.
            local = server.channels.get(channel)
            if local is None:
                mirror(server, state)
            else:
                restore(local, state)


def _channel_message(server: Server, event: ChannelMessage) -> None:
    """A message to a channel (or to its ``@``/``+`` members): to its local members."""
    local = server.channels.get(event.channel)
    if local is None:
        return
    members = local.members
    status = event.status
    if status:
        recipients = [m for m, s in members.items() if s and (status == "+" or "o" in s)]
    else:
        recipients = list(members)
    _send(recipients, Outgoing(event.line), event.tagmsg)


def _redaction(server: Server, target: str, line: Line) -> None:
    """A REDACT on another process: to the local sessions of the conversation that
    enabled draft/message-redaction (the others get nothing, as on the process where
    it happened)."""
    if is_channel_name(target):
        local = server.channels.get(target)
        recipients = list(local.members) if local is not None else []
    else:
        user = server.users.get(target)
        recipients = [user] if user is not None else []
    out = Outgoing(line)
    for session in recipients:
        if REDACTION in session.caps:
            session.send_bytes(out.render(session.tag_profile))


def _join(server: Server, view: RemoteView, origin: str, event: Join) -> None:
    """A remote user joined: learn the user if new, mirror the channel if this
    process has none, and show the JOIN (extended-join to those who asked) to the
    local members, unless the view knew the membership already."""
    channel, nick, source = event.channel, event.nick, event.source
    account, realname, line = event.account, event.realname, event.line
    if nick not in view.users:
        logged_in = None if account == "*" else account
        up = UserUp(_nick_of(source), source, realname=realname, account=logged_in)
        view.add_user(nick, RemoteUser.from_up(up, origin))
    # Known already: a process re-announcing itself after Redis lost its state.
    known = nick in view.members.get(channel, {})
    view.join(channel, nick, event.status)
    # Every process mirrors every channel of the network (server/mirror.py).
    # The joiner's process sends its state along: a channel this process
    # dropped meanwhile (its last member here left) comes back with its bans.
    local = server.channels.get(channel)
    if local is None and event.state is not None:
        local = mirror(server, event.state)
    if local is None or known:
        return
    plain = Outgoing(line)
    extended = Outgoing(Line("JOIN", (*line.params[:1], account, realname), line.source, line.tags))
    for member in local.members:
        chosen = extended if "extended-join" in member.caps else plain
        member.send_bytes(chosen.render(member.tag_profile))
    joiner = view.users.get(nick)
    if joiner is not None and joiner.away is not None:
        # away-notify: an away user's JOIN is followed by its AWAY.
        tags = server.tags({"account": joiner.account} if joiner.account else None)
        notice = Line("AWAY", (joiner.away,), line.source, tags)
        presence.notify(server, local.members, Outgoing(notice))


def _leave(server: Server, view: RemoteView, origin: str, event: Leave) -> None:
    """A PART or KICK on another process: drop the membership, show the line to the
    local members, part a local user it kicked, forget a channel left empty."""
    channel, nick, line = event.channel, event.nick, event.line
    if line.command != "KICK" and not _speaks_for(view, origin, nick):
        # A PART replayed after a split, of a user who left that process:
        # the nick may belong to someone else now (here or elsewhere).
        return
    view.leave(channel, nick)
    local = server.channels.get(channel)
    if local is None:
        return
    server.send_to(local.members, Outgoing(line))
    # A KICK from another process of a user of this one.
    kicked = server.users.get(nick)
    if kicked is not None and kicked in local.members:
        server.part_channel(kicked, local)
    _forget_orphan(server, view, channel)


def _channel_line(server: Server, event: ChannelLine) -> None:
    """A line about a channel (a TOPIC, say) for its local members; a TOPIC also
    changes the mirror's topic."""
    local = server.channels.get(event.channel)
    if local is None:
        return
    line = event.line
    if line.command == "TOPIC" and len(line.params) > 1:
        local.topic = line.params[1]
        local.topic_setter = line.source or ""
        local.topic_time = int(time.time())
    server.send_to(local.members, Outgoing(line))


def _quit(server: Server, view: RemoteView, origin: str, event: Quit) -> None:
    """A remote user quit: shown to the local users who shared a channel with it,
    remembered for WHOWAS; the channels it leaves empty are forgotten."""
    nick = event.nick
    if not _speaks_for(view, origin, nick):
        return  # a quit replayed after a split: the nick is someone else's now
    peers = _local_peers(server, view, nick)
    left = view.channels_of(nick)
    _remember(server, view.remove_user(nick))
    server.send_to(peers, Outgoing(event.line))
    monitoring.offline(server.watchlist, _nick_of(event.line.source or nick))
    for channel in left:
        _forget_orphan(server, view, channel)


def _nick_change(server: Server, view: RemoteView, origin: str, event: NickChange) -> None:
    """A remote user changed nick: renamed in the view, the old nick remembered for
    WHOWAS, the NICK shown to the local users who share a channel with it."""
    old = event.old
    if not _speaks_for(view, origin, old):
        # Replayed after a split, or a twin renamed after a clash: the user
        # this view has under ``old`` lives on another process and stays.
        return
    peers = _local_peers(server, view, old)
    _remember(server, view.users.get(old))
    view.rename(old, casefold(event.new), event.new, event.source, origin)
    server.send_to(peers, Outgoing(event.line))
    monitoring.renamed(server.watchlist, event.line)


def _user_state(server: Server, view: RemoteView, origin: str, event: UserState) -> None:
    """A remote user's realname, account, away or modes changed: kept in the view,
    and the line (if any) shown to the local peers whose caps ask for it."""
    nick = event.nick
    # Only the nick's own process speaks for it: a late state of a user that
    # quit there must not land on whoever took the nick on another process.
    if not _speaks_for(view, origin, nick):
        return
    view.set_state(nick, event.realname, event.account, event.away, event.modes)
    if event.line is not None:
        presence.notify(server, _local_peers(server, view, nick), Outgoing(event.line))


def process_gone(server: Server, view: RemoteView, process: str, reason: str) -> list[str]:
    """Every user of ``process`` quits with ``reason`` for local members who share a
    channel with it; return their folded nicks (now free)."""
    gone = []
    left: set[str] = set()
    for folded, user in view.users_of(process):
        peers = _local_peers(server, view, folded)
        left |= view.channels_of(folded)
        _remember(server, view.remove_user(folded))
        server.send_to(peers, Outgoing(Line("QUIT", (reason,), user.source, server.tags())))
        monitoring.offline(server.watchlist, user.nick)
        gone.append(folded)
    for channel in left:
        _forget_orphan(server, view, channel)
    return gone


def channel_update(
    server: Server,
    view: RemoteView,
    channel: str,
    state: ChannelState | None,
    statuses: tuple[tuple[str, str], ...],
    line: Line | None,
) -> None:
    """Replace this process's mirror of ``channel`` with ``state`` (last writer wins;
    None: only statuses changed), follow the status changes, show ``line`` to the
    local members.

    Nothing is published back: the process that made the change put everything in
    the state (in a registered room, the operator accounts the +o/-o changed, which
    it knows from the view)."""
    local = server.channels.get(channel)
    if local is None:
        if state is None or channel not in view.members:
            return  # nobody in it that we know of: Redis keeps it, no mirror needed
        local = mirror(server, state)
    elif state is not None:
        restore(local, state)
    remote = view.members.get(channel, {})
    for nick, status in statuses:
        session = server.users.get(nick)
        if session is not None and session in local.members:
            local.members[session] = status
        elif nick in remote:
            view.join(channel, nick, status)
    if line is not None:
        server.send_to(local.members, Outgoing(line))
    _forget_orphan(server, view, channel)


def mirror(server: Server, state: ChannelState) -> Channel:
    """A new mirror holding ``state``, in ``server.channels``."""
    channel = mirror_of(state)
    return server.registry.add_channel(channel)


def invite(server: Server, channel: str, target: str, line: Line) -> None:
    """An INVITE made on another process: remember it if the target is ours, and
    show it to the target and (invite-notify) to the channel's local operators."""
    local = server.channels.get(channel)
    session = server.users.get(target)
    if local is None:
        # No mirror here (its state was unreadable): the invite cannot be kept,
        # but the user is still told, as the inviter was told it was sent.
        if session is not None:
            session.send_bytes(Outgoing(line).render(session.tag_profile))
        return
    if session is not None and session not in local.members:
        session.invited |= {local}
        session.send_bytes(Outgoing(line).render(session.tag_profile))
    ops = (m for m in local.members if m is not session and local.is_op(m))
    server.send_to(ops, Outgoing(line), cap="invite-notify")


def kick(server: Server, channel: str, target: str, line: Line) -> None:
    """A KICK made on another process of local user ``target``: apply it here if
    they are still in the channel under that nick, and publish it for everyone
    (the kicker's process included, which shows it only then)."""
    local = server.channels.get(channel)
    session = server.users.get(target)
    if local is None or session is None or session not in local.members:
        return  # left or renamed meanwhile: nobody is kicked, anywhere
    server.send_to(local.members, Outgoing(line))
    server.network.publish(Leave(channel, target, line))
    server.part_channel(session, local)


def _speaks_for(view: RemoteView, origin: str, folded: str) -> bool:
    """Whether ``origin`` is the process of the remote user ``folded`` this view
    knows. A nick can change hands while Redis is away (its user left one process,
    or two processes gave it out); only its current owner's departures count."""
    owner = view.users.get(folded)
    return owner is not None and owner.process == origin


def _forget_orphan(server: Server, view: RemoteView, channel: str) -> None:
    """Drop the mirror of a channel nobody is in any more, anywhere."""
    local = server.channels.get(channel)
    if local is not None and is_orphan(local, view):
        server.registry.remove_channel(local)


def _send(recipients: list[Session], out: Outgoing, tagmsg: bool) -> None:
    for member in recipients:
        if not tagmsg or member.tag_profile & MSGTAGS:
            member.send_bytes(out.render(member.tag_profile))


def _local_peers(server: Server, view: RemoteView, folded: str) -> set[Session]:
    """Local sessions sharing at least one channel with remote user ``folded``."""
    peers: set[Session] = set()
    for channel in view.channels_of(folded):
        local = server.channels.get(channel)
        if local is not None:
            peers.update(local.members)
    return peers


def _remember(server: Server, user: RemoteUser | None) -> None:
    """WHOWAS here remembers a nick that left on another process, as a local one."""
    if user is not None:
        server.remember(user.nick, user.user, user.host, user.realname)


def _nick_of(source: str) -> str:
    return source.split("!", 1)[0]
