"""Connection registration and keep-alive: CAP, PASS, NICK, USER, PING, PONG, QUIT.

Modern IRC "Connection Registration"; IRCv3 capability negotiation
(https://ircv3.net/specs/extensions/capability-negotiation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatroom import __version__
from chatroom.protocol import numerics as n
from chatroom.protocol.caps import ls_entries, pack_entries, parse_request
from chatroom.protocol.casemap import casefold, is_valid_nick
from chatroom.protocol.line import Line
from chatroom.protocol.numbers import parse_number
from chatroom.server import monitoring, presence
from chatroom.server.auth import protect_nick, reclaim
from chatroom.server.commands.info import send_isupport, send_lusers, send_motd
from chatroom.server.commands.services import RESERVED_NICKS
from chatroom.server.persistence import ban_for
from chatroom.server.regstate import RegEvent, RegState, allowed

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

USERLEN = 16
VERSION = f"chatroom-{__version__}"
USER_MODES = "Bio"
CHANNEL_MODES = "beIiklmnostv"
CHANNEL_MODES_WITH_PARAM = "beIklov"


def cap(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """CAP <subcommand> [:<capabilities>]"""
    sub = line.params[0].upper()
    nick = session.nick
    name = server.config.name
    if sub == "LS":
        if not session.registered:
            session.advance(RegEvent.CAP_BEGIN)
        version = parse_number(line.params[1]) if len(line.params) > 1 else None
        version = version or 0  # anything but a number: no version (CAP LS alone)
        session.cap_version = max(session.cap_version, version)
        if version >= 302:
            # cap-notify is implicitly enabled for 302 clients (spec, "cap-notify").
            session.set_caps(session.caps | {"cap-notify"})
        _send_cap_list(rb, name, nick, "LS", ls_entries(server.caps, version), version >= 302)
    elif sub == "LIST":
        _send_cap_list(rb, name, nick, "LIST", sorted(session.caps), session.cap_version >= 302)
    elif sub == "REQ":
        if not session.registered:
            session.advance(RegEvent.CAP_BEGIN)
        text = line.params[1] if len(line.params) > 1 else ""
        changes = parse_request(text, server.caps)
        if changes is None:
            rb.add(Line("CAP", (nick, "NAK", text), name))
            return
        caps = set(session.caps)
        for cap_name, enable in changes:
            if enable:
                caps.add(cap_name)
            else:
                caps.discard(cap_name)
        session.set_caps(caps)
        rb.add(Line("CAP", (nick, "ACK", text.strip()), name))
    elif sub == "END":
        session.sasl = None  # an unfinished SASL exchange ends with negotiation
        if not session.registered:
            session.advance(RegEvent.CAP_END)
            try_register(server, session, rb)
    else:
        rb.reply(n.ERR_INVALIDCAPCMD, line.params[0], "Invalid CAP command")


def _send_cap_list(
    rb: ResponseBuffer, name: str, nick: str, sub: str, entries: list[str], multiline: bool
) -> None:
    # Stay well under 512 bytes: prefix, nick, subcommand and '*' take the rest.
    chunks = pack_entries(entries, 400) if multiline else [" ".join(entries)]
    for i, chunk in enumerate(chunks):
        more = ("*",) if i < len(chunks) - 1 else ()
        rb.add(Line("CAP", (nick, sub, *more, chunk), name))


def pass_(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """PASS <password>"""
    if session.registered:
        rb.reply(n.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    session.password_ok = not server.config.password or line.params[0] == server.config.password


def nick(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """NICK <nickname>"""
    if not line.params or not line.params[0]:
        rb.reply(n.ERR_NONICKNAMEGIVEN, "No nickname given")
        return
    new = line.params[0]
    if not is_valid_nick(new, server.config.nicklen):
        rb.reply(n.ERR_ERRONEUSNICKNAME, new, "Erroneous nickname")
        return
    if casefold(new) in RESERVED_NICKS:
        rb.reply(n.ERR_ERRONEUSNICKNAME, new, "Reserved for services")
        return
    if new == session.nick:
        return
    for channel in session.channels:
        if not channel.may_change_nick(session):
            rb.reply(
                n.ERR_BANNICKCHANGE,
                new,
                channel.name,
                "Cannot change nickname while banned on channel",
            )
            return
    reclaim(server, session, new)  # an owner logged in takes its nick from an impostor
    if server.nick_in_use(new, by=session):
        rb.reply(n.ERR_NICKNAMEINUSE, new, "Nickname is already in use")
        return
    if not session.registered:
        server.claim_nick(session, new)
        try_register(server, session, rb)
        return
    network = server.network
    if network.is_local:  # nobody else to ask: taken at once
        rb.add(server.rename(session, new))
        protect_nick(server, session)
        return

    async def claim() -> None:
        # The network-wide claim is atomic; the session's next lines wait for it.
        folded = casefold(new)
        won = await network.claim_nick(folded)
        if session.closed:
            return
        if not won or server.nick_in_use(new, by=session):
            if won and folded not in server.users:
                network.release_nick(folded)
            rb.reply(n.ERR_NICKNAMEINUSE, new, "Nickname is already in use")
            return
        rb.add(server.rename(session, new))
        protect_nick(server, session)

    server.defer(rb, claim, block=True)


def user(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """USER <username> 0 * <realname>"""
    if not allowed(session.registration, RegEvent.USER):  # registered, or USER came
        rb.reply(n.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    if not line.params[0] or not line.params[3]:
        # An empty username or realname is a missing one (Modern IRC "USER": 461).
        rb.reply(n.ERR_NEEDMOREPARAMS, "USER", "Not enough parameters")
        return
    username = "".join(c for c in line.params[0] if c.isascii() and (c.isalnum() or c in "-_."))
    if not username:
        username = "user"
    # No ident lookups (they would stall registration), so mark the name as unverified.
    session.user = "~" + username[: USERLEN - 1]
    session.realname = line.params[3][: server.config.realnamelen]
    session.advance(RegEvent.USER)
    try_register(server, session, rb)


def try_register(server: Server, session: Session, rb: ResponseBuffer) -> None:
    """Finish registration once NICK, USER and CAP END (if negotiating) have arrived."""
    if session.registration is not RegState.READY:
        return
    if not session.password_ok:
        rb.reply(n.ERR_PASSWDMISMATCH, "Password incorrect")
        rb.send()
        rb.lines.clear()
        server.disconnect(session, "Bad password", error="Password incorrect")
        return
    reclaim(server, session, session.nick)
    if server.nick_in_use(session.nick, by=session):
        rb.reply(n.ERR_NICKNAMEINUSE, session.nick, "Nickname is already in use")
        session.nick, session.folded_nick = "*", ""
        session.advance(RegEvent.NICK_REFUSED)
        return
    network = server.network
    if network.is_local:  # nobody else to ask: taken at once
        _complete_registration(server, session, rb)
        return

    async def claim() -> None:
        # The network-wide claim is atomic; the session's next lines wait for it.
        nick, folded = session.nick, session.folded_nick
        won = await network.claim_nick(folded)
        if session.closed or session.registered:
            if won and folded not in server.users:
                network.release_nick(folded)
            return
        if not won or server.nick_in_use(nick, by=session):
            if won and folded not in server.users:
                network.release_nick(folded)
            rb.reply(n.ERR_NICKNAMEINUSE, nick, "Nickname is already in use")
            session.nick, session.folded_nick = "*", ""
            session.advance(RegEvent.NICK_REFUSED)
            return
        _complete_registration(server, session, rb)
        if session.registered:
            network.publish(presence.user_up(session))
        elif folded not in server.users:
            network.release_nick(folded)

    server.defer(rb, claim, block=True)


def _complete_registration(server: Server, session: Session, rb: ResponseBuffer) -> None:
    """Register a session whose nick is free: refuse it if banned, else welcome it."""
    ban = ban_for(server, session)
    if ban is not None:
        rb.reply(n.ERR_YOUREBANNEDCREEP, f"You are banned from this server: {ban.reason}")
        rb.send()
        rb.lines.clear()
        server.disconnect(session, "Banned", error=f"Banned: {ban.reason}")
        return
    session.advance(RegEvent.WELCOME)
    server.registry.register(session)
    server.metrics.registrations += 1
    session.took_nick("")  # now, not at NICK: another could register the nick between
    send_welcome(server, session, rb)
    monitoring.online(server.watchlist, session.nick, session.source)  # MONITOR watchers
    protect_nick(server, session)


def send_welcome(server: Server, session: Session, rb: ResponseBuffer) -> None:
    """001-005, LUSERS and MOTD, as every client expects after registering."""
    config = server.config
    rb.reply(n.RPL_WELCOME, f"Welcome to the {config.network} Network, {session.source}")
    rb.reply(n.RPL_YOURHOST, f"Your host is {config.name}, running version {VERSION}")
    rb.reply(n.RPL_CREATED, f"This server was created {server.created}")
    rb.reply(
        n.RPL_MYINFO, config.name, VERSION, USER_MODES, CHANNEL_MODES, CHANNEL_MODES_WITH_PARAM
    )
    send_isupport(server, rb)
    send_lusers(server, rb)
    send_motd(server, rb)


def ping(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """PING <token>"""
    rb.add(Line("PONG", (server.config.name, line.params[0]), server.config.name))


def pong(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """PONG [<server>] <token>: any input already counts as a sign of life."""
    session.ping_pending = False


def quit_(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """QUIT [<reason>]"""
    reason = line.params[0] if line.params and line.params[0] else ""
    rb.send()
    rb.lines.clear()
    quit_message = f"Quit: {reason}" if reason else "Quit"
    server.disconnect(session, quit_message)
