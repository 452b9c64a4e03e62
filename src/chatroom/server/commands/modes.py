"""MODE for users (+i, +B, -o) and channels (+imnst, +k, +l, +o/+v, +b/+e/+I).

Modern IRC "MODE message" and "Channel modes". Changes that took effect are
announced once, in one MODE line, to every member of the channel.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold, is_channel_name
from chatroom.protocol.line import Line
from chatroom.protocol.masks import normalize_mask, valid_mask
from chatroom.protocol.numbers import parse_number
from chatroom.server import events, presence
from chatroom.server.channel import FLAG_MODES, LIST_MODES, ListEntry, with_status
from chatroom.server.commands.channels import share_state
from chatroom.server.commands.info import MODES_PER_COMMAND
from chatroom.server.outgoing import Outgoing
from chatroom.server.persistence import save_channel

if TYPE_CHECKING:
    from chatroom.server.channel import Channel
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

_LIST_REPLIES = {
    "b": (n.RPL_BANLIST, n.RPL_ENDOFBANLIST, "End of channel ban list"),
    "e": (n.RPL_EXCEPTLIST, n.RPL_ENDOFEXCEPTLIST, "End of channel exception list"),
    "I": (n.RPL_INVITELIST, n.RPL_ENDOFINVITELIST, "End of channel invite list"),
}


def mode(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """MODE <target> [<modestring> [<mode arguments>...]]"""
    if is_channel_name(line.params[0]):
        channel_mode(server, session, line, rb)
    else:
        user_mode(server, session, line, rb)


def user_mode(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    target = line.params[0]
    # A user on another process of the network exists too: 502, not 401.
    if not server.nick_in_use(target):
        rb.reply(n.ERR_NOSUCHNICK, target, "No such nick/channel")
        return
    if casefold(target) != session.folded_nick:
        rb.reply(n.ERR_USERSDONTMATCH, "Can't change mode for other users")
        return
    if len(line.params) < 2:
        rb.reply(n.RPL_UMODEIS, "+" + "".join(sorted(session.modes)))
        return
    adding = True
    applied: list[tuple[bool, str]] = []
    unknown = False
    for char in line.params[1]:
        if char in "+-":
            adding = char == "+"
        elif char in ("i", presence.BOT_MODE):
            # +B: bot mode (https://ircv3.net/specs/extensions/bot-mode).
            if session.set_mode(char, adding):
                applied.append((adding, char))
        elif char == "o":
            # +o only comes from OPER; anyone may drop their own operator status.
            if not adding and session.set_mode("o", False):
                session.operator_name = None
                applied.append((False, "o"))
        else:
            unknown = True
    if unknown:
        rb.reply(n.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
    if applied:
        rb.add(Line("MODE", (session.nick, _mode_text(applied)), session.source))
        presence.changed(server, session)


def _mode_text(applied: list[tuple[bool, str]]) -> str:
    out = ""
    sign = ""
    for adding, char in applied:
        want = "+" if adding else "-"
        if want != sign:
            out += want
            sign = want
        out += char
    return out


def channel_mode(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    channel = server.find_channel(line.params[0])
    if channel is None:
        rb.reply(n.ERR_NOSUCHCHANNEL, line.params[0], "No such channel")
        return
    member = session in channel.members
    if not member and "s" in channel.modes:
        # A secret channel shows nothing to outsiders (as TOPIC, NAMES and LIST):
        # not its modes, creation time or lists, on any process of the network.
        rb.reply(n.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
        return
    if len(line.params) < 2:
        rb.reply(n.RPL_CHANNELMODEIS, channel.name, *channel.mode_string(show_key=member))
        rb.reply(n.RPL_CREATIONTIME, channel.name, str(channel.created))
        return
    args = list(line.params[2:])
    adding = True
    applied: list[tuple[bool, str]] = []
    applied_args: list[str] = []
    changes = 0
    is_op = channel.is_op(session)
    denied = False
    touched: list[str] = []  # folded nicks whose status changed
    for char in line.params[1]:
        if char in "+-":
            adding = char == "+"
            continue
        if char in LIST_MODES:
            if not args:
                _send_list(channel, char, rb)
                continue
            value = args.pop(0)
            if not is_op:
                denied = True
                continue
            changes += 1
            if changes > MODES_PER_COMMAND:
                break
            mask = _set_list(server, session, channel, char, adding, value, rb)
            if mask is not None:
                applied.append((adding, char))
                applied_args.append(mask)
            continue
        if char not in FLAG_MODES and char not in "ovkl":
            rb.reply(n.ERR_UNKNOWNMODE, char, "is unknown mode char to me")
            continue
        value = ""
        if char in "ov" or (char in "kl" and adding):
            if not args:
                rb.reply(n.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters")
                continue
            value = args.pop(0)
        elif char == "k" and args:  # -k: the key argument is optional
            args.pop(0)
        if not is_op:
            denied = True
            continue
        changes += 1
        if changes > MODES_PER_COMMAND:
            break
        result = _apply(server, channel, char, adding, value, rb)
        if result is not None:
            applied.append((adding, char))
            if result:
                applied_args.append(result)
            if char in "ov":
                touched.append(casefold(result))
    if denied:
        if member:
            rb.reply(n.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator")
        else:
            rb.reply(n.ERR_NOTONCHANNEL, channel.name, "You're not on that channel")
    if applied:
        _announce(server, session, channel, applied, applied_args, touched, rb)


def _announce(
    server: Server,
    session: Session,
    channel: Channel,
    applied: list[tuple[bool, str]],
    applied_args: list[str],
    touched: list[str],
    rb: ResponseBuffer,
) -> None:
    """Keep and announce what a MODE changed: the ``applied`` (adding, char) pairs and
    their arguments; ``touched``: folded nicks whose channel status changed."""
    save_channel(server, channel)
    out = Outgoing(
        Line(
            "MODE",
            (channel.name, _mode_text(applied), *applied_args),
            session.source,
            server.tags(by=session),
        )
    )
    rb.add(out.line)
    server.send_to((m for m in channel.members if m is not session), out)
    events.record(server.history, server.new_msgid, out.line, session.account, (channel,))
    share_state(server, channel, out.line, _statuses(server, channel, touched))


def _statuses(server: Server, channel: Channel, folded: list[str]) -> tuple[tuple[str, str], ...]:
    """The final status of each member whose status changed, for the other processes."""
    remote = server.network.view.members.get(channel.folded, {})
    out: dict[str, str] = {}
    for nick in folded:
        session = server.users.get(nick)
        if session is not None and session in channel.members:
            out[nick] = channel.members[session]
        elif nick in remote:
            out[nick] = remote[nick]
    return tuple(out.items())


def _apply(
    server: Server, channel: Channel, char: str, adding: bool, value: str, rb: ResponseBuffer
) -> str | None:
    """Apply one non-list mode; return its shown argument ('' for none), None if no change."""
    if char in FLAG_MODES:
        if adding == (char in channel.modes):
            return None
        (channel.modes.add if adding else channel.modes.discard)(char)
        return ""
    if char in "ov":
        target = server.find_user(value)
        if target is None:  # on another process, or nowhere (then 401)
            return _apply_remote(server, channel, char, adding, value, rb)
        if target not in channel.members:
            rb.reply(
                n.ERR_USERNOTINCHANNEL, target.nick, channel.name, "They aren't on that channel"
            )
            return None
        if not channel.set_status(target, char, adding):
            return None
        if char == "o":
            channel.follow_op_account(target.account, adding)
        return target.nick
    if char == "k":
        if adding:
            if not value or value[0] == ":" or " " in value or "," in value or len(value) > 23:
                rb.reply(n.ERR_INVALIDKEY, channel.name, "Key is not well-formed")
                return None
            channel.key = value
            return value
        if channel.key is None:
            return None
        channel.key = None
        return "*"
    # char == "l"
    if adding:
        limit = parse_number(value)
        if limit is None or limit <= 0:
            rb.reply(
                n.ERR_INVALIDMODEPARAM,
                channel.name,
                "l",
                value,
                "Invalid limit, it must be a positive number",
            )
            return None
        channel.limit = limit
        return str(channel.limit)
    if channel.limit is None:
        return None
    channel.limit = None
    return ""


def _apply_remote(
    server: Server, channel: Channel, char: str, adding: bool, value: str, rb: ResponseBuffer
) -> str | None:
    """+o/+v (or -) for a member on another process: its status in the view here;
    the other processes follow the MODE's :class:`ChannelUpdate`. In a registered room
    its account (which the view knows) is recorded as an operator account here, in
    the state that update carries: no other process publishes the state again."""
    view = server.network.view
    folded = casefold(value)
    user = view.users.get(folded)
    if user is None:
        rb.reply(n.ERR_NOSUCHNICK, value, "No such nick/channel")
        return None
    members = view.members.get(channel.folded, {})
    if folded not in members:
        rb.reply(n.ERR_USERNOTINCHANNEL, user.nick, channel.name, "They aren't on that channel")
        return None
    status = members[folded]
    if adding == (char in status):
        return None
    view.join(channel.folded, folded, with_status(status, char, adding))
    if char == "o":
        channel.follow_op_account(user.account, adding)
    return user.nick


def _set_list(
    server: Server,
    session: Session,
    channel: Channel,
    char: str,
    adding: bool,
    value: str,
    rb: ResponseBuffer,
) -> str | None:
    entries = channel.lists[char]
    mask = normalize_mask(value)
    if not valid_mask(mask):
        rb.reply(n.ERR_INVALIDMODEPARAM, channel.name, char, value, "Invalid mask")
        return None
    existing = next((e for e in entries if casefold(e.mask) == casefold(mask)), None)
    if adding:
        if existing is not None:
            return None
        if len(entries) >= server.config.max_list_entries:
            rb.reply(n.ERR_BANLISTFULL, channel.name, mask, "Channel list is full")
            return None
        channel.lists[char] = (*entries, ListEntry(mask, session.source, int(time.time())))
        return mask
    if existing is None:
        return None
    channel.lists[char] = tuple(e for e in entries if e is not existing)
    return existing.mask


def _send_list(channel: Channel, char: str, rb: ResponseBuffer) -> None:
    item, end, text = _LIST_REPLIES[char]
    for entry in channel.lists[char]:
        rb.reply(item, channel.name, entry.mask, entry.setter, str(entry.set_at))
    rb.reply(end, channel.name, text)
