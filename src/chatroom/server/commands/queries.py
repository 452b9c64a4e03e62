"""Who is there: WHO, WHOIS, WHOWAS, ISON, USERHOST; and what you say of
yourself: AWAY, SETNAME (https://ircv3.net/specs/extensions/setname)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold, is_channel_name
from chatroom.protocol.line import Line
from chatroom.protocol.masks import mask_matches
from chatroom.protocol.numbers import parse_number
from chatroom.server import presence
from chatroom.server.addresses import address_of
from chatroom.server.channel import status_prefix
from chatroom.server.network.view import RemoteUser
from chatroom.server.targets import distinct, within_targmax
from chatroom.server.visibility import channel_members, sees_user, shows_channel

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session


def _find_anyone(server: Server, nick: str) -> Session | RemoteUser | None:
    """The user with ``nick``, here or on another process of the network."""
    local = server.find_user(nick)
    if local is not None:
        return local
    return server.network.view.users.get(casefold(nick))


def _mask_matches(mask: str, other: Session | RemoteUser) -> bool:
    return (
        mask_matches(mask, other.nick)
        or mask_matches(mask, other.source)
        or mask_matches(mask, other.realname)
    )


USERS_PER_TOKEN = 100
"""Flood control charges ``WHO <mask>`` one line token per this many users it looks
at, on top of what its reply costs (:data:`~chatroom.server.session.LINES_PER_TOKEN`)."""


WHOX_FIELDS = "tcuihsnfdlaor"
"""The WHOX fields we answer, in the order every 354 reply gives them whatever order
they were asked in (https://ircv3.net/specs/extensions/whox; ``d`` hop count and
``o`` op level are the traditional extra ones, as ircu, Solanum and Ergo give them).
Other letters are ignored, as the spec says."""


@dataclass(frozen=True, slots=True)
class Whox:
    """A WHOX request: ``WHO <mask> [<flags>]%<fields>[,<token>]``."""

    fields: str  # the known fields asked for, in reply order
    token: str  # the client's token (1 to 3 digits); "0" if it sent none or a bad one

    @classmethod
    def parse(cls, param: str) -> Whox | None:
        """The request in WHO's second parameter; None for a plain WHO (no ``%``).
        Letters before the ``%`` (old WHO flags) are ignored."""
        _, percent, spec = param.partition("%")
        if not percent:
            return None
        asked, _, token = spec.partition(",")
        if not (0 < len(token) <= 3 and token.isascii() and token.isdigit()):
            token = "0"
        return cls("".join(f for f in WHOX_FIELDS if f in asked), token)


def _who_flags(other: Session | RemoteUser, prefix: str) -> str:
    """``H``/``G`` (here, gone), ``*`` for an operator, the channel status, ``B`` for a bot."""
    flags = "G" if other.away is not None else "H"
    if other.is_operator:
        flags += "*"
    flags += prefix
    if presence.BOT_MODE in other.modes:
        flags += presence.BOT_MODE
    return flags


def _who_line(
    server: Server,
    other: Session | RemoteUser,
    channel: str,
    prefix: str,
    rb: ResponseBuffer,
    whox: Whox | None,
) -> Line:
    """One 352 reply, or a 354 with the fields ``whox`` asks for."""
    if whox is not None:
        viewer = rb.session
        fields = (_whox_field(server, viewer, other, channel, prefix, whox, f) for f in whox.fields)
        return rb.numeric(n.RPL_WHOSPCRPL, *fields)
    return rb.numeric(
        n.RPL_WHOREPLY,
        channel,
        other.user,
        other.host,
        server.config.name,
        other.nick,
        _who_flags(other, prefix),
        f"0 {other.realname}",
    )


def _whox_field(
    server: Server,
    viewer: Session,
    other: Session | RemoteUser,
    channel: str,
    prefix: str,
    whox: Whox,
    field: str,
) -> str:
    """The value of one WHOX field, with the spec's placeholders (``*`` no channel,
    ``255.255.255.255`` an address not shown, ``0`` no account)."""
    match field:
        case "t":
            return whox.token
        case "c":
            return channel
        case "u":
            return other.user
        case "i":
            # The address only to the user itself and to operators, as WHOIS's 378.
            if other is not viewer and not viewer.is_operator:
                return "255.255.255.255"
            return address_of(other.host) if isinstance(other, RemoteUser) else other.address
        case "h":
            return other.host
        case "s":
            return server.config.name
        case "n":
            return other.nick
        case "f":
            return _who_flags(other, prefix)
        case "d":
            return "0"
        case "l":
            # Only the user's own process knows (as WHOIS's 317).
            if isinstance(other, RemoteUser):
                return "0"
            return str(int(server.now() - other.last_message))
        case "a":
            return other.account or "0"
        case "o":
            return "n/a"
        case _:  # "r"
            return other.realname


def who(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """WHO <mask> [[<flags>]%<fields>[,<token>]]"""
    mask = line.params[0] if line.params else "*"
    whox = Whox.parse(line.params[1]) if len(line.params) > 1 else None
    if "," in mask and not within_targmax("WHO", distinct(mask.split(",")), rb):
        return
    if is_channel_name(mask):
        channel = server.find_channel(mask)
        if channel is not None and shows_channel(session, channel):
            multi = "multi-prefix" in session.caps
            members = list(channel_members(server, session, channel, multi))
            name = channel.name
            rb.stream(_who_line(server, other, name, prefix, rb, whox) for prefix, other in members)
    else:
        exact = _find_anyone(server, mask)
        if exact is not None:
            rb.add(_who_line(server, exact, "*", "", rb, whox))
        elif mask not in ("", "0"):
            everyone: list[Session | RemoteUser] = list(server.users.values())
            everyone += server.network.view.users.values()
            session.charge(len(everyone) / USERS_PER_TOKEN)
            rb.stream(
                _who_line(server, other, "*", "", rb, whox)
                for other in everyone
                if sees_user(server, session, other) and _mask_matches(mask, other)
            )
    rb.reply(n.RPL_ENDOFWHO, mask, "End of /WHO list")


def whois(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """WHOIS [<target>] <nick>"""
    nicks = distinct(line.params[-1].split(","))
    if not within_targmax("WHOIS", nicks, rb):
        return
    nick = nicks[0] if nicks else line.params[-1]
    other = _find_anyone(server, nick)
    if other is None:
        rb.reply(n.ERR_NOSUCHNICK, nick, "No such nick/channel")
        rb.reply(n.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
        return
    multi = "multi-prefix" in session.caps
    if isinstance(other, RemoteUser):
        shown = _remote_channels(server, session, other, multi)
        address = address_of(other.host)
        show_host = session.is_operator
        idle: tuple[int, int] | None = None  # only the user's own process knows
    else:
        shown = [
            c.prefix(other, multi) + c.name
            for c in sorted(other.channels, key=lambda c: c.folded)
            if other is session or shows_channel(session, c, invisible=other.invisible)
        ]
        address = other.address
        show_host = other is session or session.is_operator
        idle = (int(server.now() - other.last_message), other.signon)
    config = server.config
    rb.reply(n.RPL_WHOISUSER, other.nick, other.user, other.host, "*", other.realname)
    if shown:
        rb.reply(n.RPL_WHOISCHANNELS, other.nick, " ".join(shown))
    rb.reply(n.RPL_WHOISSERVER, other.nick, config.name, f"{config.network} chat server")
    if other.is_operator:
        rb.reply(n.RPL_WHOISOPERATOR, other.nick, "is an IRC operator")
    if presence.BOT_MODE in other.modes:
        rb.reply(n.RPL_WHOISBOT, other.nick, f"is a bot on {config.network}")
    if other.away is not None:
        rb.reply(n.RPL_AWAY, other.nick, other.away)
    if other.account is not None:
        rb.reply(n.RPL_WHOISACCOUNT, other.nick, other.account, "is logged in as")
    if other.secure:
        rb.reply(n.RPL_WHOISSECURE, other.nick, "is using a secure connection")
    if show_host:
        rb.reply(n.RPL_WHOISHOST, other.nick, f"is connecting from *@{other.host} {address}")
    if idle is not None:
        rb.reply(
            n.RPL_WHOISIDLE, other.nick, str(idle[0]), str(idle[1]), "seconds idle, signon time"
        )
    rb.reply(n.RPL_ENDOFWHOIS, other.nick, "End of /WHOIS list")


def _remote_channels(server: Server, viewer: Session, other: RemoteUser, multi: bool) -> list[str]:
    """The channels of a user of another process that WHOIS shows ``viewer``, by the
    rules for a local user (:func:`~chatroom.server.visibility.shows_channel`): a
    secret one only to its members, none of an invisible user's but shared ones.
    Every channel of the network is mirrored here, with its modes."""
    view = server.network.view
    folded = casefold(other.nick)
    shown = []
    for name in sorted(view.channels_of(folded)):
        channel = server.channels.get(name)
        if channel is not None and shows_channel(viewer, channel, invisible=other.invisible):
            status = view.members.get(name, {}).get(folded, "")
            shown.append(status_prefix(status, multi) + channel.name)
    return shown


def whowas(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """WHOWAS <nick> [<count>]"""
    nick = line.params[0]
    # A count that is not a number, zero or negative: every entry (Modern IRC).
    count = parse_number(line.params[1], signed=True) if len(line.params) > 1 else None
    count = max(count or 0, 0)
    folded = casefold(nick)
    found = 0
    for entry in server.registry.whowas:
        if casefold(entry.nick) != folded:
            continue
        rb.reply(n.RPL_WHOWASUSER, entry.nick, entry.user, entry.host, "*", entry.realname)
        rb.reply(
            n.RPL_WHOISSERVER,
            entry.nick,
            server.config.name,
            time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(entry.left_at)),
        )
        found += 1
        if count and found >= count:
            break
    if not found:
        rb.reply(n.ERR_WASNOSUCHNICK, nick, "There was no such nickname")
    rb.reply(n.RPL_ENDOFWHOWAS, nick, "End of WHOWAS")


def ison(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """ISON <nickname>{ <nickname>}"""
    online = []
    for param in line.params:
        for nick in param.split():
            other = _find_anyone(server, nick)
            if other is not None:
                online.append(other.nick)
    rb.reply(n.RPL_ISON, " ".join(online))


def userhost(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """USERHOST <nickname>{ <nickname>} (at most 5)"""
    replies = []
    for nick in line.params[:5]:
        other = _find_anyone(server, nick)
        if other is not None:
            oper = "*" if other.is_operator else ""
            away = "-" if other.away is not None else "+"
            replies.append(f"{other.nick}{oper}={away}{other.user}@{other.host}")
    rb.reply(n.RPL_USERHOST, " ".join(replies))


def away(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """AWAY [<text>]"""
    if not session.registered and "draft/pre-away" not in session.caps:
        # Before registration only with https://ircv3.net/specs/extensions/pre-away,
        # where it takes effect when registration completes ("AWAY *": away, no reason).
        rb.reply(n.ERR_NOTREGISTERED, "You have not registered")
        return
    text = line.params[0][: server.config.awaylen] if line.params else ""
    if text:
        session.away = text
        rb.reply(n.RPL_NOWAWAY, "You have been marked as being away")
        notice = Line("AWAY", (text,), session.source, server.tags(by=session))
    else:
        was_away = session.away is not None
        session.away = None
        rb.reply(n.RPL_UNAWAY, "You are no longer marked as being away")
        if not was_away:
            return
        notice = Line("AWAY", (), session.source, server.tags(by=session))
    presence.changed(server, session, notice)


def setname(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """SETNAME <realname>"""
    realname = line.params[0]
    if not realname or len(realname) > server.config.realnamelen:
        rb.fail("SETNAME", "INVALID_REALNAME", "Realname is not valid")
        return
    session.realname = realname
    notice = Line("SETNAME", (realname,), session.source, server.tags(by=session))
    if "setname" in session.caps:
        rb.add(notice)
    presence.changed(server, session, notice)
