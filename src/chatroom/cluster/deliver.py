"""Deliver events from other processes to this process's sessions.

No I/O of its own: :func:`apply` updates the :class:`~chatroom.cluster.view.RemoteView`
and queues lines for local sessions through the server's usual output path
(:class:`~chatroom.server.outgoing.Outgoing`, one formatting per tag profile).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chatroom.cluster.events import (
    ChannelLine,
    ChannelMessage,
    Event,
    Join,
    Leave,
    NickChange,
    PrivateMessage,
    ProcessGone,
    Quit,
    UserState,
    UserUp,
)
from chatroom.cluster.view import RemoteUser, RemoteView
from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.server import presence
from chatroom.server.outgoing import MSGTAGS, Outgoing
from chatroom.server.server import WhowasEntry

if TYPE_CHECKING:
    from chatroom.server.server import Server
    from chatroom.server.session import Session

GONE_REASON = "Server went away"


def apply(server: Server, view: RemoteView, origin: str, event: Event) -> None:
    """Apply one event published by process ``origin`` (never this process)."""
    match event:
        case ChannelMessage(channel, line, status, tagmsg):
            local = server.channels.get(channel)
            if local is None:
                return
            members = local.members
            if status:
                recipients = [m for m, s in members.items() if s and (status == "+" or "o" in s)]
            else:
                recipients = list(members)
            _send(recipients, Outgoing(line), tagmsg)
        case PrivateMessage(target, line, tagmsg):
            session = server.users.get(target)
            if session is not None:
                _send([session], Outgoing(line), tagmsg)
        case UserUp(nick, source, realname, account, away, modes, signon, secure):
            user = RemoteUser(nick, source, origin, realname, account, away, modes, signon, secure)
            view.add_user(casefold(nick), user)
        case Join(channel, nick, source, status, account, realname, line):
            if nick not in view.users:
                logged_in = None if account == "*" else account
                user = RemoteUser(_nick_of(source), source, origin, realname, logged_in)
                view.add_user(nick, user)
            # Known already: a process re-announcing itself after Redis lost its state.
            known = nick in view.members.get(channel, {})
            view.join(channel, nick, status)
            local = server.channels.get(channel)
            if local is not None and not known:
                plain = Outgoing(line)
                extended = Outgoing(
                    Line("JOIN", (*line.params[:1], account, realname), line.source, line.tags)
                )
                for member in local.members:
                    chosen = extended if "extended-join" in member.caps else plain
                    member.send_bytes(chosen.render(member.tag_profile))
        case Leave(channel, nick, line):
            view.leave(channel, nick)
            local = server.channels.get(channel)
            if local is not None:
                server.send_to(local.members, Outgoing(line))
        case ChannelLine(channel, line):
            local = server.channels.get(channel)
            if local is not None:
                if line.command == "TOPIC" and len(line.params) > 1:
                    local.topic = line.params[1]
                    local.topic_setter = line.source or ""
                    local.topic_time = int(time.time())
                server.send_to(local.members, Outgoing(line))
        case Quit(nick, _channels, line):
            peers = _local_peers(server, view, nick)
            _remember(server, view.remove_user(nick))
            server.send_to(peers, Outgoing(line))
        case NickChange(old, new, source, _memberships, line):
            peers = _local_peers(server, view, old)
            _remember(server, view.users.get(old))
            view.rename(old, casefold(new), new, source)
            server.send_to(peers, Outgoing(line))
        case ProcessGone(reason):
            process_gone(server, view, origin, reason)
        case UserState(nick, realname, account, away, modes, line):
            known = view.set_state(nick, realname, account, away, modes) is not None
            if known and line is not None:
                presence.notify(server, _local_peers(server, view, nick), Outgoing(line))


def process_gone(server: Server, view: RemoteView, process: str, reason: str) -> list[str]:
    """Every user of ``process`` quits with ``reason`` for local members who share a
    channel with it; return their folded nicks (now free)."""
    gone = []
    for folded, user in view.users_of(process):
        peers = _local_peers(server, view, folded)
        _remember(server, view.remove_user(folded))
        server.send_to(peers, Outgoing(Line("QUIT", (reason,), user.source, server.tags())))
        gone.append(folded)
    return gone


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
    if user is not None and server.config.whowas:
        entry = WhowasEntry(user.nick, user.user, user.host, user.realname, int(time.time()))
        server.whowas.appendleft(entry)


def _nick_of(source: str) -> str:
    return source.split("!", 1)[0]
