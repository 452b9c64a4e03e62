"""Logging in and the protection of registered nicks.

The AUTHENTICATE and REGISTER commands (``commands/accounts.py``) drive what is
here. Password checks take tens of milliseconds, so they run off the loop
(the account store's hashing pool) and the session's next lines wait for the
answer (``Session.blocked``). The throttles, grace periods and SASL exchanges
this works with are the state of :mod:`chatroom.server.logins`.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.protocol.numerics import RPL_LOGGEDIN
from chatroom.server import presence
from chatroom.storage.accounts import Account
from chatroom.storage.errors import StorageError

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")


def log_in(server: Server, session: Session, record: Account, rb: ResponseBuffer) -> None:
    """Mark ``session`` as logged in to ``record``: RPL_LOGGEDIN, account-notify.

    Called after an awaited check: a session closed meanwhile is left alone."""
    if session.closed:
        return
    account = record.name
    session.account = account
    session.account_created = record.created
    nick = session.nick if session.nick != "*" else "*"
    rb.reply(
        RPL_LOGGEDIN,
        f"{nick}!{session.user or '*'}@{session.host}",
        account,
        f"You are now logged in as {account}",
    )
    log.info("%s logged in as %s", session.source, account)
    if session.nick_timer is not None and casefold(account) == session.folded_nick:
        session.nick_timer.cancel()
        session.nick_timer = None
    if session.registered:
        notice = Line("ACCOUNT", (account,), session.source, server.tags(by=session))
        presence.changed(server, session, notice)
    _take_nick_back(server, session, account, rb)


def _take_nick_back(server: Server, session: Session, account: str, rb: ResponseBuffer) -> None:
    """An owner who logs in while someone else holds the account's nick here gets it:
    the holder is renamed, and the owner takes the nick (at registration, or now)."""
    folded = casefold(account)
    holder = server.users.get(folded)
    if holder is None or holder is session or session.folded_nick == folded:
        return
    reclaim(server, session, account)
    if server.users.get(folded) is not None:
        return  # a client of the same account has it
    if not session.registered:
        # Its NICK was refused (433) or it chose another: it registers as the owner.
        server.claim_nick(session, account)
    elif server.network.is_local:
        # With other processes the nick needs a network-wide claim: the owner sends NICK.
        rb.add(server.rename(session, account))


def protect_nick(server: Server, session: Session) -> None:
    """If the session's nick is a registered account it is not logged in to, ask it to
    log in, and take the nick back after the grace period."""
    store = server.accounts
    if store is None or not session.registered:
        return
    if session.account is not None and casefold(session.account) == session.folded_nick:
        return
    nick = session.nick

    async def check() -> None:
        try:
            account = await store.get(nick)
        except StorageError as exc:
            log.error("Could not check whether %s is registered: %s", nick, exc)
            return
        if account is None or session.closed or session.nick != nick:
            return
        grace = server.auth.grace_left(casefold(nick), server.config.nick_grace, server.now())
        if grace <= 0:
            _take_back(server, session, nick)
            return
        text = (
            f"The nick {nick} is registered. Log in to it (SASL) within {grace:.0f} "
            "seconds, or you will be renamed."
        )
        _tell(server, session, nick, text)
        if session.nick_timer is not None:
            session.nick_timer.cancel()
        session.nick_timer = server.call_later(grace, lambda: _take_back(server, session, nick))

    server.spawn(check())


def _tell(server: Server, session: Session, nick: str, text: str) -> None:
    # Clients that understand standard replies get the machine-readable NOTE;
    # the others a NOTICE they show as it is. Never both: it would show twice.
    if "standard-replies" in session.caps:
        note = ("*", "NICK_REGISTERED", nick, text)
        session.send_line(Line("NOTE", note, server.config.name))
    else:
        session.send_line(Line("NOTICE", (session.nick, text), server.config.name))


def reclaim(server: Server, owner: Session, nick: str) -> None:
    """If ``owner`` is logged in to the account ``nick`` and a user here holds that nick
    without being logged in to it, rename that user to ``GuestNNNNN`` at once: the
    owner takes the nick back (the grace period is for strangers, not against owners).
    A holder on another process of a network is left to its own process."""
    folded = casefold(nick)
    if owner.account is None or casefold(owner.account) != folded:
        return
    holder = server.users.get(folded)
    if holder is None or holder is owner or holder.closed:
        return
    if holder.account is not None and casefold(holder.account) == folded:
        return  # another client of the same account
    if holder.nick_timer is not None:
        holder.nick_timer.cancel()
        holder.nick_timer = None
    _tell(server, holder, holder.nick, f"The owner of the nick {holder.nick} logged in.")
    guest = guest_nick(server)
    log.info("Renamed %s to %s: its owner logged in", holder.nick, guest)
    holder.send_line(server.rename(holder, guest))


def _take_back(server: Server, session: Session, nick: str) -> None:
    session.nick_timer = None
    if session.closed or session.nick != nick:
        return
    if session.account is not None and casefold(session.account) == session.folded_nick:
        return
    guest = guest_nick(server)
    log.info("Renamed %s to %s: the nick is registered", nick, guest)
    session.send_line(server.rename(session, guest))


def guest_nick(server: Server) -> str:
    """A free nick ``GuestNNNNN`` (free here and, with a network, in its view)."""
    while True:
        candidate = f"Guest{secrets.randbelow(100000):05d}"
        if not server.nick_in_use(candidate):
            return candidate
