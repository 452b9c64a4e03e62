"""Channel membership and state: JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE.

Modern IRC "Channel Operations".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold, is_valid_channel
from chatroom.protocol.line import Line
from chatroom.protocol.numbers import parse_number
from chatroom.server import events, presence
from chatroom.server.channel import Channel
from chatroom.server.commands import readmarker
from chatroom.server.mirror import mirror_of, restore, snapshot
from chatroom.server.network.events import ChannelUpdate, Invite, Join, Kick, Leave
from chatroom.server.outgoing import Outgoing
from chatroom.server.persistence import is_channel_operator_account, save_channel
from chatroom.server.targets import distinct, within_targmax
from chatroom.server.visibility import channel_members, shows_channel

if TYPE_CHECKING:
    from chatroom.server.network import Network
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

NAMES_BUDGET = 400  # bytes of names per 353 line, leaving room for prefix and nick


def join(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """JOIN <channel>{,<channel>} [<key>{,<key>}] | JOIN 0"""
    if line.params[0] == "0":
        for channel in list(session.channels):
            _part(server, session, channel, "Left all channels", rb)
        return
    keys = line.params[1].split(",") if len(line.params) > 1 else []
    wanted = [
        (name, keys[i] if i < len(keys) else "")
        for i, name in enumerate(line.params[0].split(","))
        if name
    ]
    network = server.network
    if network.is_local or not any(
        _fresh(server, server.find_channel(name), name) for name, _key in wanted
    ):
        # Nothing to create network-wide: answered at once (joining never makes a
        # later channel of the list new to the network).
        for name, key in wanted:
            join_one(server, session, name, key, rb)
        return

    async def join_all() -> None:
        for name, key in wanted:
            await _join_networked(server, network, session, name, key, rb)

    # The session's next lines wait: a channel new to the network is answered by it.
    server.defer(rb, join_all, block=True)


async def _join_networked(
    server: Server, network: Network, session: Session, name: str, key: str, rb: ResponseBuffer
) -> None:
    """Join one channel of a network. One that nobody is in on any process is first
    created in Redis (atomically): its first member is operator only if Redis says
    this process created it; else the channel that exists is joined, with its state
    and checks, as on any process (server/mirror.py)."""
    channel = server.find_channel(name)
    if (
        not is_valid_channel(name, server.config.channellen)
        or len(session.channels) >= server.config.max_channels  # refused: create nothing
        or not _fresh(server, channel, name)
    ):
        join_one(server, session, name, key, rb)
        return
    folded = casefold(name)
    base = channel if channel is not None else Channel(name, folded)
    existing = await network.create_channel(folded, session.folded_nick, snapshot(base))
    if session.closed:
        if existing is None:  # its quit did not name this channel: leave it again
            line = Line("PART", (base.name,), session.source, server.tags(by=session))
            network.publish(Leave(folded, session.folded_nick, line))
        return
    channel = server.channels.get(folded)
    if existing is None:
        if channel is None:
            server.registry.add_channel(base)
        join_one(server, session, name, key, rb, created=True)
        return
    if existing.state is None:  # none stored, or unreadable: no mirror made from it
        if channel is None:
            rb.reply(n.ERR_UNAVAILRESOURCE, name, "Channel is temporarily unavailable")
            return
    elif channel is None:
        server.registry.add_channel(mirror_of(existing.state))
    else:
        restore(channel, existing.state)
    join_one(server, session, name, key, rb, created=False)


def _fresh(server: Server, channel: Channel | None, name: str) -> bool:
    """Whether joining ``name`` creates it: nobody is in it here or on any process
    that we know of, and it is not a registered room (which keeps its key, bans and
    +i even when empty, and makes operators of its founder and operator accounts,
    not of whoever comes first)."""
    if channel is not None and (channel.members or channel.founder is not None):
        return False
    return not server.network.view.member_count(casefold(name))


def join_one(
    server: Server,
    session: Session,
    name: str,
    key: str,
    rb: ResponseBuffer,
    *,
    created: bool | None = None,
) -> None:
    """Join one channel, checking every mode that could refuse the join.

    ``created``: whether the network said this process created the channel (None:
    a process alone, or not a new channel; decided here)."""
    config = server.config
    if not is_valid_channel(name, config.channellen):
        rb.reply(n.ERR_NOSUCHCHANNEL, name, "No such channel")
        return
    channel = server.find_channel(name)
    if channel is not None and session in channel.members:
        return
    if len(session.channels) >= config.max_channels:
        rb.reply(n.ERR_TOOMANYCHANNELS, name, "You have joined too many channels")
        return
    creating = _fresh(server, channel, name) if created is None else created
    if channel is None and not creating:
        # Members elsewhere, but their state has not reached this process (or was
        # unreadable): a default copy would pass its bans, key and +i. Try again.
        rb.reply(n.ERR_UNAVAILRESOURCE, name, "Channel is temporarily unavailable")
        return
    trusted = channel is not None and is_channel_operator_account(channel, session)
    if channel is not None and not creating and not trusted:
        # The limit counts members network-wide; the rest of the state is mirrored.
        count = len(channel.members) + server.network.view.member_count(channel.folded)
        error = _join_refusal(channel, session, key, count)
        if error is not None:
            numeric, mode = error
            rb.reply(numeric, channel.name, f"Cannot join channel ({mode})")
            return
    if channel is None:
        channel = server.get_or_create_channel(name)
    channel.add(session, "o" if creating or trusted else "")
    session.channels.add(channel)
    if channel in session.invited:
        session.invited -= {channel}
    tags = server.tags(by=session)
    out = Outgoing(Line("JOIN", (channel.name,), session.source, tags))
    # extended-join: the account ("*" for none) and real name ride along.
    extended = Outgoing(
        Line("JOIN", (channel.name, session.account or "*", session.realname), session.source, tags)
    )
    rb.add(extended.line if "extended-join" in session.caps else out.line)
    readmarker.after_join(server, session, channel, rb)
    others = [member for member in channel.members if member is not session]
    for member in others:
        chosen = extended if "extended-join" in member.caps else out
        member.send_bytes(chosen.render(member.tag_profile))
    events.record(server.history, server.new_msgid, out.line, session.account, (channel,))
    if session.away is not None:
        # away-notify: a user who is away when joining is announced so right after
        # the JOIN (https://ircv3.net/specs/extensions/away-notify).
        away = Line("AWAY", (session.away,), session.source, server.tags(by=session))
        presence.notify(server, others, Outgoing(away))
    server.network.publish(
        Join(
            channel.folded,
            session.folded_nick,
            session.source,
            channel.members[session],
            session.account or "*",
            session.realname,
            out.line,
            snapshot(channel),
        )
    )
    if channel.topic:
        send_topic(channel, rb)
    if "draft/no-implicit-names" not in session.caps:  # it asks with NAMES when it wants
        send_names(server, session, channel, rb)


def _join_refusal(
    channel: Channel, session: Session, key: str, count: int
) -> tuple[str, str] | None:
    if channel.key is not None and key != channel.key:
        return n.ERR_BADCHANNELKEY, "+k"
    invited = channel.is_invited(session)
    if channel.limit is not None and count >= channel.limit and not invited:
        return n.ERR_CHANNELISFULL, "+l"
    if "i" in channel.modes and not invited:
        return n.ERR_INVITEONLYCHAN, "+i"
    if channel.is_banned(session):  # an invite lets one past +i and +l, never past a ban
        return n.ERR_BANNEDFROMCHAN, "+b"
    return None


def share_state(
    server: Server,
    channel: Channel,
    line: Line | None = None,
    statuses: tuple[tuple[str, str], ...] = (),
) -> None:
    """Tell the other processes (if any) the channel's new state, and show them
    ``line``; ``statuses`` are members whose status changed (server/mirror.py)."""
    server.network.publish(ChannelUpdate(channel.folded, snapshot(channel), statuses, line))


def send_topic(channel: Channel, rb: ResponseBuffer) -> None:
    rb.reply(n.RPL_TOPIC, channel.name, channel.topic)
    rb.reply(n.RPL_TOPICWHOTIME, channel.name, channel.topic_setter, str(channel.topic_time))


def send_names(
    server: Server, session: Session, channel: Channel, rb: ResponseBuffer, *, lazy: bool = False
) -> None:
    """RPL_NAMREPLY lines (split to fit) and RPL_ENDOFNAMES; with ``lazy``, made as
    the client reads them (NAMES), else at once (JOIN, whose reply is small)."""
    if shows_channel(session, channel):
        rows = _names_rows(server, session, channel, rb)
        if lazy:
            rb.stream(rows)
        else:
            for row in rows:
                rb.add(row)
    rb.reply(n.RPL_ENDOFNAMES, channel.name, "End of /NAMES list")


def _names_rows(
    server: Server, session: Session, channel: Channel, rb: ResponseBuffer
) -> Iterator[Line]:
    symbol = "@" if "s" in channel.modes else "="
    multi = "multi-prefix" in session.caps
    full = "userhost-in-names" in session.caps
    names: list[str] = []
    size = 0
    entries = [  # a snapshot: the members may change between the lines sent
        prefix + (peer.source if full else peer.nick)
        for prefix, peer in channel_members(server, session, channel, multi)
    ]
    for entry in entries:
        if names and size + len(entry) + 1 > NAMES_BUDGET:
            yield rb.numeric(n.RPL_NAMREPLY, symbol, channel.name, " ".join(names))
            names, size = [], 0
        names.append(entry)
        size += len(entry) + 1
    if names:
        yield rb.numeric(n.RPL_NAMREPLY, symbol, channel.name, " ".join(names))


def part(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """PART <channel>{,<channel>} [<reason>]"""
    reason = line.params[1] if len(line.params) > 1 else ""
    for name in line.params[0].split(","):
        if not name:
            continue
        channel = server.find_channel(name)
        if channel is None:
            rb.reply(n.ERR_NOSUCHCHANNEL, name, "No such channel")
        elif session not in channel.members:
            rb.reply(n.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        else:
            _part(server, session, channel, reason, rb)


def _part(
    server: Server, session: Session, channel: Channel, reason: str, rb: ResponseBuffer
) -> None:
    params = (channel.name, reason) if reason else (channel.name,)
    out = Outgoing(Line("PART", params, session.source, server.tags(by=session)))
    rb.add(out.line)
    server.send_to((m for m in channel.members if m is not session), out)
    events.record(server.history, server.new_msgid, out.line, session.account, (channel,))
    server.network.publish(Leave(channel.folded, session.folded_nick, out.line))
    server.part_channel(session, channel)


def topic(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """TOPIC <channel> [<topic>]"""
    channel = server.find_channel(line.params[0])
    if channel is None:
        rb.reply(n.ERR_NOSUCHCHANNEL, line.params[0], "No such channel")
        return
    member = session in channel.members
    if len(line.params) == 1:
        if not member and "s" in channel.modes:
            rb.reply(n.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        elif channel.topic:
            send_topic(channel, rb)
        else:
            rb.reply(n.RPL_NOTOPIC, channel.name, "No topic is set")
        return
    if not member:
        rb.reply(n.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        return
    if "t" in channel.modes and not channel.is_op(session):
        rb.reply(n.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
        return
    text = line.params[1][: server.config.topiclen]
    channel.topic = text
    channel.topic_setter = session.source
    channel.topic_time = int(time.time())
    save_channel(server, channel)
    out = Outgoing(Line("TOPIC", (channel.name, text), session.source, server.tags(by=session)))
    rb.add(out.line)
    server.send_to((m for m in channel.members if m is not session), out)
    events.record(server.history, server.new_msgid, out.line, session.account, (channel,))
    share_state(server, channel, out.line)


def names(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """NAMES [<channel>{,<channel>}]"""
    targets = distinct(line.params[0].split(",")) if line.params else []
    if not targets:
        rb.reply(n.RPL_ENDOFNAMES, "*", "End of /NAMES list")
        return
    if not within_targmax("NAMES", targets, rb):
        return
    channel = server.find_channel(targets[0])
    if channel is None:
        rb.reply(n.RPL_ENDOFNAMES, targets[0], "End of /NAMES list")
    else:
        send_names(server, session, channel, rb, lazy=True)


def list_(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """LIST [<channel>{,<channel>}] [<elistcond>{,<elistcond>}]"""
    names: list[str] = []
    more: int | None = None
    fewer: int | None = None
    for param in line.params:
        for item in param.split(","):
            count = parse_number(item[1:]) if item[:1] in "<>" else None
            if count is not None:
                if item[0] == ">":
                    more = count
                else:
                    fewer = count
            else:
                names.append(item)
    names = distinct(names)
    if not within_targmax("LIST", names, rb):
        return
    wanted = {casefold(name) for name in names} if names else None
    view = server.network.view
    rb.reply(n.RPL_LISTSTART, "Channel", "Users  Name")
    if wanted is not None:
        channels = [c for c in map(server.channels.get, wanted) if c is not None]
    else:
        channels = list(server.channels.values())

    def rows() -> Iterator[Line]:
        for channel in channels:
            if "s" in channel.modes and session not in channel.members:
                continue
            count = len(channel.members) + view.member_count(channel.folded)
            if (more is not None and count <= more) or (fewer is not None and count >= fewer):
                continue
            yield rb.numeric(n.RPL_LIST, channel.name, str(count), channel.topic)

    rb.stream(rows())  # 10,000 channels with topics are megabytes: sent as read
    rb.reply(n.RPL_LISTEND, "End of /LIST")


def kick(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """KICK <channel> <user>{,<user>} [<comment>]"""
    channel = server.find_channel(line.params[0])
    if channel is None:
        rb.reply(n.ERR_NOSUCHCHANNEL, line.params[0], "No such channel")
        return
    if session not in channel.members:
        rb.reply(n.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        return
    if not channel.is_op(session):
        rb.reply(n.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
        return
    reason = line.params[2] if len(line.params) > 2 and line.params[2] else session.nick
    reason = reason[: server.config.kicklen]
    for nick in line.params[1].split(","):
        target = server.find_user(nick)
        if target is None and _kick_remote(server, session, channel, nick, reason, rb):
            continue
        if target is None or target not in channel.members:
            rb.reply(n.ERR_USERNOTINCHANNEL, nick, channel.name, "They aren't on that channel")
            continue
        out = Outgoing(
            Line(
                "KICK", (channel.name, target.nick, reason), session.source, server.tags(by=session)
            )
        )
        rb.add(out.line)
        server.send_to((m for m in channel.members if m is not session), out)
        events.record(server.history, server.new_msgid, out.line, session.account, (channel,))
        server.network.publish(Leave(channel.folded, target.folded_nick, out.line))
        server.part_channel(target, channel)


def _kick_remote(
    server: Server, session: Session, channel: Channel, nick: str, reason: str, rb: ResponseBuffer
) -> bool:
    """Kick a member on another process: its process takes the user out, if still
    there under that nick, and publishes the KICK, which every process (this one
    too) shows then; so a user renaming at that instant is kicked everywhere or
    nowhere. False if not such a member."""
    view = server.network.view
    folded = casefold(nick)
    user = view.users.get(folded)
    if user is None or folded not in view.members.get(channel.folded, {}):
        return False
    line = Line("KICK", (channel.name, user.nick, reason), session.source, server.tags(by=session))
    server.network.publish(Kick(channel.folded, folded, line))
    return True


def invite(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """INVITE <nickname> <channel>"""
    nick, name = line.params[0], line.params[1]
    target = server.find_user(nick)
    if target is None and casefold(nick) not in server.network.view.users:
        rb.reply(n.ERR_NOSUCHNICK, nick, "No such nick/channel")
        return
    channel = server.find_channel(name)
    if channel is None:
        # Modern IRC: servers SHOULD refuse; an invite kept for a channel that does not
        # exist yet would let someone in past the modes its creator sets later.
        rb.reply(n.ERR_NOSUCHCHANNEL, name, "No such channel")
        return
    if session not in channel.members:
        rb.reply(n.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        return
    if "i" in channel.modes and not channel.is_op(session):
        rb.reply(n.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
        return
    if target is None:  # a user of another process
        _invite_remote(server, session, channel, casefold(nick), rb)
        return
    if target in channel.members:
        rb.reply(n.ERR_USERONCHANNEL, target.nick, channel.name, "is already on channel")
        return
    # Kept with this very channel object: the invite dies with the channel.
    target.invited |= {channel}
    rb.reply(n.RPL_INVITING, target.nick, channel.name)
    if target.away is not None:
        rb.reply(n.RPL_AWAY, target.nick, target.away)
    out = Outgoing(
        Line("INVITE", (target.nick, channel.name), session.source, server.tags(by=session))
    )
    target.send_bytes(out.render(target.tag_profile))
    # invite-notify: tell the channel's operators (who could have invited too).
    ops = (m for m in channel.members if m is not session and channel.is_op(m))
    server.send_to(ops, out, cap="invite-notify")


def _invite_remote(
    server: Server, session: Session, channel: Channel, folded: str, rb: ResponseBuffer
) -> None:
    """INVITE a user of another process: its process remembers the invite (and
    honours it at JOIN) and shows it to them; every process tells its operators."""
    view = server.network.view
    user = view.users[folded]
    if folded in view.members.get(channel.folded, {}):
        rb.reply(n.ERR_USERONCHANNEL, user.nick, channel.name, "is already on channel")
        return
    rb.reply(n.RPL_INVITING, user.nick, channel.name)
    if user.away is not None:
        rb.reply(n.RPL_AWAY, user.nick, user.away)
    out = Outgoing(
        Line("INVITE", (user.nick, channel.name), session.source, server.tags(by=session))
    )
    server.network.publish(Invite(channel.folded, folded, out.line))
    ops = (m for m in channel.members if m is not session and channel.is_op(m))
    server.send_to(ops, out, cap="invite-notify")
