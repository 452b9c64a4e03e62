"""Server operators: OPER, KILL, KLINE, STATS N..., for operators named in the config file."""

from __future__ import annotations

import calendar
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.line import Line
from chatroom.protocol.masks import normalize_mask, valid_mask
from chatroom.protocol.numbers import parse_number
from chatroom.server import presence
from chatroom.server.persistence import ban_for, without_expired
from chatroom.storage.accounts import BanRecord
from chatroom.storage.errors import StorageError
from chatroom.storage.passwords import shared, verify_password

CREATED = "%Y-%m-%d %H:%M:%S UTC"
"""How ``Server.created`` (when this process started) is written."""

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")

MAX_BAN_MINUTES = 100 * 366 * 24 * 60
"""A longer KLINE lasts this long: the expiry date must stay a date."""


def oper(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """OPER <name> <password>"""
    name, password = line.params[0], line.params[1]
    entry = next((o for o in server.config.operators if o.name == name), None)
    key = f"oper:{name}"
    if not server.auth.begin(session.address, key, server.now()):
        server.metrics.logins_throttled += 1
        # Guessing is slowed down before any hashing, like SASL logins; the attempt
        # counts as failed from now on unless it succeeds.
        rb.reply(n.ERR_PASSWDMISMATCH, "Password incorrect")
        return
    stored = entry.password_hash if entry is not None else None

    async def check() -> None:
        # Hashing takes tens of milliseconds and megabytes: off the event loop, in
        # the queue that bounds every hash of the process, while this client's next
        # lines wait for the answer.
        matched = await shared().run(lambda: verify_password(stored, password))
        if session.closed:
            return  # it quit meanwhile: its counts (LUSERS) are already taken off
        if entry is None or not matched:
            server.metrics.logins_failed += 1
            log.warning("Failed OPER attempt as %r from %s", name, session.address)
            rb.reply(n.ERR_PASSWDMISMATCH, "Password incorrect")
            return
        server.metrics.logins_ok += 1
        server.auth.succeeded(session.address, key)
        session.set_mode("o", True)
        session.operator_name = entry.name
        presence.changed(server, session)
        log.info("%s is now an operator (%s)", session.source, entry.name)
        rb.reply(n.RPL_YOUREOPER, "You are now an IRC operator")
        rb.add(Line("MODE", (session.nick, "+o"), session.source))

    server.defer(rb, check, block=True)


def kill(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """KILL <nickname> <comment>"""
    victim = server.find_user(line.params[0])
    if victim is None:
        rb.reply(n.ERR_NOSUCHNICK, line.params[0], "No such nick/channel")
        return
    reason = f"Killed ({session.nick} ({line.params[1]}))"
    log.info("%s killed %s: %s", session.source, victim.source, line.params[1])
    victim.send_line(Line("KILL", (victim.nick, line.params[1]), session.source))
    server.disconnect(victim, reason)


def kline(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """KLINE [<minutes>] <mask> [<reason>] | KLINE LIST

    Bans a ``nick!user@host`` mask (``*!*@1.2.3.4`` for an address) from the whole
    server, for ``minutes`` or for good; matching users are disconnected now.
    """
    store = server.accounts
    params = list(line.params)
    if params[0].upper() == "LIST":
        bans = without_expired(server.registry.bans)
        for ban in bans:
            until = ban.expires.strftime("%Y-%m-%d %H:%M UTC") if ban.expires else "never"
            rb.add(
                Line(
                    "NOTE",
                    ("KLINE", "BAN", ban.mask, f"{ban.reason} (by {ban.setter}, expires {until})"),
                    server.config.name,
                )
            )
        rb.add(Line("NOTE", ("KLINE", "END", f"{len(bans)} ban(s)"), server.config.name))
        return
    minutes = parse_number(params[0]) if len(params) > 1 else None
    if minutes is not None:
        params.pop(0)
        minutes = min(minutes, MAX_BAN_MINUTES)
    mask = normalize_mask(params[0])
    if not valid_mask(mask):
        rb.fail("KLINE", "INVALID_MASK", params[0], "A mask has no spaces or commas")
        return
    reason = params[1] if len(params) > 1 and params[1] else "No reason given"
    if store is None:
        rb.fail("KLINE", "UNAVAILABLE", mask, "Bans need the account store (accounts are off)")
        return
    now = datetime.now(UTC)
    ban = BanRecord(
        mask,
        reason,
        session.operator_name or session.nick,
        now,
        now + timedelta(minutes=minutes) if minutes else None,
    )

    async def add() -> None:
        try:
            await store.add_ban(ban)
        except StorageError as exc:
            rb.fail("KLINE", "UNAVAILABLE", mask, f"Could not save the ban: {exc}")
            return
        server.registry.add_ban(ban)
        log.info("%s banned %s from the server: %s", session.source, mask, reason)
        rb.add(Line("NOTE", ("KLINE", "ADDED", mask, reason), server.config.name))
        for victim in list(server.users.values()):
            if victim is not session and ban_for(server, victim) is ban:
                server.disconnect(victim, f"Banned: {reason}")

    server.defer(rb, add)


def unkline(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """UNKLINE <mask>"""
    store = server.accounts
    mask = normalize_mask(line.params[0])
    if store is None:
        rb.fail("UNKLINE", "UNAVAILABLE", mask, "Bans need the account store")
        return

    async def remove() -> None:
        try:
            removed = await store.remove_ban(mask)
        except StorageError as exc:
            rb.fail("UNKLINE", "UNAVAILABLE", mask, f"Could not remove the ban: {exc}")
            return
        server.registry.remove_ban(mask)
        code = "REMOVED" if removed else "NOT_FOUND"
        rb.add(Line("NOTE", ("UNKLINE", code, mask), server.config.name))

    server.defer(rb, remove)


def stats(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """STATS <query>

    ``STATS u`` (anyone, as on most servers): ``242 :Server Up <d> days <h:mm:ss>``.
    ``STATS N`` (operators; others get ``481``): one ``249`` line per process of the
    network (``--cluster``), this process first, each ``:<process id> <users> users``,
    ``(this process)`` after ours; alone, this process only. Other letters answer
    only ``219`` (end), as Modern IRC allows for queries a server does not support.
    """
    query = line.params[0]
    if query == "u":
        up = int(time.time() - calendar.timegm(time.strptime(server.created, CREATED)))
        days, rest = divmod(max(up, 0), 86400)
        clock = time.strftime("%H:%M:%S", time.gmtime(rest))
        rb.reply(n.RPL_STATSUPTIME, f"Server Up {days} days {clock}")
    elif query.upper() == "N":
        if not session.is_operator:
            rb.reply(n.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator")
            return
        for i, (process, users) in enumerate(server.network.status()):
            mine = " (this process)" if i == 0 else ""
            rb.reply(n.RPL_STATSDEBUG, f"{process} {users} users{mine}")
    rb.reply(n.RPL_ENDOFSTATS, query, "End of /STATS report")
