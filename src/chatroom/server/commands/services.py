"""ChanServ: registering rooms, the way IRC users know from services.

``/msg ChanServ REGISTER #room`` (or ``/chanserv``, ``/cs``) works from any
client. The pseudo-user answers with NOTICEs. A registered room keeps its topic,
modes, key, limit, lists and operators (by account) across restarts.

- ``REGISTER #room``: you must be logged in and an operator of the room.
- ``UNREGISTER #room``: the founder, or an IRC operator.
- ``INFO #room``: who founded it, and when.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.server.commands.channels import share_state
from chatroom.server.mirror import is_orphan
from chatroom.server.persistence import record_of
from chatroom.storage.accounts import AccountError, AccountStore
from chatroom.storage.errors import StorageError

if TYPE_CHECKING:
    from chatroom.server.channel import Channel
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")

CHANSERV = "ChanServ"
RESERVED_NICKS = frozenset({"chanserv", "nickserv"})
"""Nicks nobody may take: they name services."""

HELP = (
    "ChanServ keeps registered rooms as you left them, across restarts.",
    "REGISTER #room    register a room you are an operator of (log in first)",
    "UNREGISTER #room  forget a registration (its founder or an IRC operator)",
    "INFO #room        who registered a room, and when",
)


def reply(server: Server, session: Session, rb: ResponseBuffer, text: str) -> None:
    source = f"{CHANSERV}!{CHANSERV}@{server.config.name}"
    rb.add(Line("NOTICE", (session.nick, text), source))


def chanserv(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """CHANSERV <REGISTER|UNREGISTER|INFO|HELP> [#room]"""
    words = " ".join(line.params).split()
    handle(server, session, words, rb)


def cs(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """CS <subcommand> [#room] (short for CHANSERV)"""
    chanserv(server, session, line, rb)


def handle(server: Server, session: Session, words: list[str], rb: ResponseBuffer) -> None:
    """Run one ChanServ request (from CHANSERV/CS or a PRIVMSG to ChanServ)."""
    sub = words[0].upper() if words else "HELP"
    name = words[1] if len(words) > 1 else ""
    store = server.accounts
    if sub == "HELP" or sub not in ("REGISTER", "UNREGISTER", "INFO"):
        for text in HELP:
            reply(server, session, rb, text)
        return
    if store is None:
        reply(server, session, rb, "Accounts are turned off on this server.")
        return
    channel = server.find_channel(name) if name else None
    if channel is None:
        reply(server, session, rb, f"There is no room called {name or '(none given)'}.")
        return
    if sub == "INFO":

        async def info() -> None:
            try:
                record = await store.get_channel(channel.name)
            except StorageError as exc:
                record = None
                log.error("ChanServ INFO failed: %s", exc)
            if record is None:
                reply(server, session, rb, f"{channel.name} is not registered.")
            else:
                when = record.registered.strftime("%Y-%m-%d") if record.registered else "?"
                reply(
                    server,
                    session,
                    rb,
                    f"{channel.name} was registered by {record.founder_account} on {when}.",
                )

        server.defer(rb, info)
        return
    if sub == "REGISTER":
        if session.account is None:
            reply(server, session, rb, "Log in first (SASL, or REGISTER an account).")
            return
        if not channel.is_op(session):
            reply(server, session, rb, f"You must be an operator of {channel.name}.")
            return
        account = session.account

        async def register() -> None:
            record = record_of(channel, account)
            record = replace(record, operators=record.operators | {casefold(account)})
            try:
                await store.register_channel(record)
            except AccountError:
                reply(server, session, rb, f"{channel.name} is already registered.")
            except StorageError as exc:
                log.error("ChanServ REGISTER failed: %s", exc)
                reply(server, session, rb, "Rooms cannot be registered right now.")
            else:
                channel.founder = account
                channel.op_accounts.add(casefold(account))
                channel.permanent = True
                share_state(server, channel)  # the other processes keep it too
                log.info("%s registered %s", session.source, channel.name)
                reply(
                    server,
                    session,
                    rb,
                    f"{channel.name} is registered to you. Its topic, modes, bans and "
                    "operators are kept from now on.",
                )

        server.defer(rb, register)
        return
    unregister_room(server, session, channel, store, rb)


def unregister_room(
    server: Server, session: Session, channel: Channel, store: AccountStore, rb: ResponseBuffer
) -> None:
    """ChanServ UNREGISTER #room: the founder (or an operator) forgets a room's record."""
    founder = channel.founder
    allowed = session.is_operator or (
        founder is not None
        and session.account is not None
        and casefold(session.account) == casefold(founder)
    )
    if not allowed:
        reply(server, session, rb, f"Only the founder of {channel.name} may unregister it.")
        return

    async def unregister() -> None:
        try:
            removed = await store.unregister_channel(channel.name)
        except StorageError as exc:
            log.error("ChanServ UNREGISTER failed: %s", exc)
            removed = False
        if removed:
            channel.founder = None
            channel.op_accounts.clear()
            channel.permanent = casefold(server.config.default_room) == channel.folded
            share_state(server, channel)  # Redis forgets it too if nobody is in it
            if is_orphan(channel, server.network.view):
                server.registry.remove_channel(channel)
            reply(server, session, rb, f"{channel.name} is no longer registered.")
        else:
            reply(server, session, rb, f"{channel.name} was not registered.")

    server.defer(rb, unregister)
