"""The operator's command line (``chatroom status``, ``reload``, ``kick``, ``ban``):
what a request read from the control socket does to the core.

A request is a JSON object with ``command`` and its fields; :func:`handle` returns
the answer: ``{"ok": true, ...}`` or ``{"ok": false, "error": "<a sentence>"}``,
never an exception for bad input. The socket itself (who may talk to it, the
framing) is transports/control.py; this module sees only dictionaries.

The actions are KICK and KLINE's, done by the server itself (its name is the
source of the lines users see), for users of this process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.protocol.masks import normalize_mask, valid_mask
from chatroom.server.channel import ListEntry
from chatroom.server.commands.channels import share_state
from chatroom.server.network.events import Leave
from chatroom.server.outgoing import Outgoing
from chatroom.server.persistence import ban_for, save_channel
from chatroom.storage.accounts import BanRecord
from chatroom.storage.errors import StorageError

if TYPE_CHECKING:
    from chatroom.server.channel import Channel
    from chatroom.server.server import Server

log = logging.getLogger("chatroom.server")

SETTER = "operator"
"""Who set a ban made from the command line, as KLINE LIST and MODE +b show it."""

Answer = dict[str, Any]


class _Refused(Exception):
    """A request that cannot be done; ``str()`` is the sentence the operator reads."""


async def handle(
    server: Server, request: Mapping[str, Any], reload: Callable[[], tuple[bool, str]]
) -> Answer:
    """Do ``request``; ``reload`` re-reads the configuration (the composer's)."""
    try:
        command = request.get("command")
        if command == "status":
            return {"ok": True, **status(server)}
        if command == "reload":
            applied, message = reload()
            return {"ok": applied, "message" if applied else "error": message}
        if command == "kick":
            return {"ok": True, "message": kick(server, _field(request, "nick"), request)}
        if command == "ban":
            return {"ok": True, "message": await ban(server, _field(request, "mask"), request)}
        raise _Refused(f"unknown command {command!r}: status, reload, kick or ban")
    except _Refused as exc:
        return {"ok": False, "error": str(exc)}


def _field(request: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = request.get(name, default)
    if not isinstance(value, str) or not value or any(c in value for c in "\r\n\0"):
        raise _Refused(f"{name} must be a non-empty line of text")
    return value


def _room(server: Server, request: Mapping[str, Any]) -> Channel | None:
    if request.get("room") is None:
        return None
    name = _field(request, "room")
    channel = server.find_channel(name)
    if channel is None:
        raise _Refused(f"no room {name} on this server")
    return channel


def status(server: Server) -> Answer:
    """Who is connected (registered users of this process) and the rooms."""
    users = [
        {
            "nick": s.nick,
            "address": s.address,
            "account": s.account,
            "secure": s.secure,
            "operator": s.is_operator,
            "rooms": sorted(c.name for c in s.channels),
        }
        for s in sorted(server.users.values(), key=lambda s: s.folded_nick)
    ]
    rooms = [
        {"name": c.name, "users": len(c.members), "topic": c.topic}
        for c in sorted(server.channels.values(), key=lambda c: c.folded)
    ]
    return {"connections": len(server.sessions), "users": users, "rooms": rooms}


def kick(server: Server, nick: str, request: Mapping[str, Any]) -> str:
    """Take ``nick`` out of ``room``, or off the server without a room."""
    reason = _field(request, "reason", "Kicked by the server operator")[: server.config.kicklen]
    channel = _room(server, request)
    target = server.find_user(nick)
    if target is None:
        raise _Refused(f"no user {nick} on this server")
    if channel is None:
        log.info("The operator kicked %s off the server: %s", target.source, reason)
        server.disconnect(target, f"Kicked by the server operator: {reason}")
        return f"{target.nick} disconnected"
    if target not in channel.members:
        raise _Refused(f"{target.nick} is not in {channel.name}")
    _kick_from(server, channel, target.nick, reason)
    return f"{target.nick} kicked from {channel.name}"


def _kick_from(server: Server, channel: Channel, nick: str, reason: str) -> None:
    target = server.find_user(nick)
    assert target is not None
    out = Outgoing(Line("KICK", (channel.name, target.nick, reason), server.config.name))
    server.send_to(list(channel.members), out)
    server.network.publish(Leave(channel.folded, target.folded_nick, out.line))
    server.part_channel(target, channel)
    log.info("The operator kicked %s from %s: %s", target.source, channel.name, reason)


async def ban(server: Server, raw_mask: str, request: Mapping[str, Any]) -> str:
    """Ban ``mask`` from ``room`` (and kick who matches), or from the server (KLINE:
    matching users are disconnected); ``minutes`` for a server ban, else for good."""
    mask = normalize_mask(raw_mask)
    if not valid_mask(mask):
        raise _Refused(f"{raw_mask!r} is not a mask like nick!user@host or *!*@1.2.3.4")
    reason = _field(request, "reason", "Banned by the server operator")
    channel = _room(server, request)
    if channel is not None:
        return _ban_from(server, channel, mask, reason)
    minutes = request.get("minutes")
    if minutes is not None and (not isinstance(minutes, int) or minutes < 1):
        raise _Refused("minutes must be a whole number above 0")
    store = server.accounts
    if store is None:
        raise _Refused("server bans need the account store (accounts are off)")
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=minutes) if minutes else None
    record = BanRecord(mask, reason, SETTER, now, expires)
    try:
        await store.add_ban(record)
    except StorageError as exc:
        raise _Refused(f"could not save the ban: {exc}") from None
    server.registry.add_ban(record)
    log.info("The operator banned %s from the server: %s", mask, reason)
    gone = [s for s in list(server.users.values()) if ban_for(server, s) is not None]
    for victim in gone:
        server.disconnect(victim, f"Banned: {reason}")
    return f"{mask} banned from the server; {len(gone)} disconnected"


def _ban_from(server: Server, channel: Channel, mask: str, reason: str) -> str:
    entries = channel.lists["b"]
    if not any(casefold(e.mask) == casefold(mask) for e in entries):
        if len(entries) >= server.config.max_list_entries:
            raise _Refused(f"the ban list of {channel.name} is full")
        channel.lists["b"] = (*entries, ListEntry(mask, SETTER, int(datetime.now(UTC).timestamp())))
        save_channel(server, channel)
        out = Outgoing(Line("MODE", (channel.name, "+b", mask), server.config.name, server.tags()))
        server.send_to(list(channel.members), out)
        share_state(server, channel, out.line)
        log.info("The operator banned %s from %s: %s", mask, channel.name, reason)
    gone = [s.nick for s in list(channel.members) if s.matches(mask)]
    for nick in gone:
        _kick_from(server, channel, nick, reason)
    return f"{mask} banned from {channel.name}; {len(gone)} kicked"
