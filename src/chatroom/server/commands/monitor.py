"""MONITOR: a client names the nicks it cares about (a friends list, its private
chats) and is told when they come and go (https://ircv3.net/specs/extensions/monitor).

The lists live in ``Server.watchlist``; the notifications (730 when a watched
nick registers or is taken by a rename, 731 when it quits or is renamed away,
on any process of the network) are sent by :mod:`chatroom.server.presence`.
The limit is ``limits.monitor``, advertised as ISUPPORT ``MONITOR=<n>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold, is_valid_nick
from chatroom.protocol.line import Line

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

LINE_BUDGET = 510
"""Bytes of a numeric line before its CRLF: lists longer than that are split."""


def monitor(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """MONITOR {+|-} <target>[,<target>]* | MONITOR {C|L|S}"""
    action = line.params[0].upper()
    if action in ("+", "-"):
        if len(line.params) < 2:
            rb.reply(n.ERR_NEEDMOREPARAMS, "MONITOR", "Not enough parameters")
            return
        targets = list(dict.fromkeys(t for t in line.params[1].split(",") if t))
        if action == "+":
            _add(server, session, targets, rb)
        else:  # no reply, as the spec says
            for target in targets:
                server.watchlist.remove(session, casefold(target))
    elif action == "C":
        server.watchlist.clear(session)
    elif action == "L":
        _numerics(rb, n.RPL_MONLIST, server.watchlist.watched(session).values())
        rb.reply(n.RPL_ENDOFMONLIST, "End of MONITOR list")
    elif action == "S":
        _status(server, rb, list(server.watchlist.watched(session).values()))
    else:
        rb.fail("MONITOR", "INVALID_PARAMS", line.params[0], "Unknown subcommand")


def _add(server: Server, session: Session, targets: list[str], rb: ResponseBuffer) -> None:
    """``MONITOR +``: watch each target while the list has room, then say where each
    one is. A target that can never be a nick here is skipped; when the list is
    full, ``734 ERR_MONLISTFULL`` names the targets left out."""
    limit = server.config.monitor
    watchlist = server.watchlist
    added: list[str] = []
    for i, target in enumerate(targets):
        if not is_valid_nick(target, server.config.nicklen):
            continue
        folded = casefold(target)
        if folded not in watchlist.watched(session):
            if len(watchlist.watched(session)) >= limit:
                rest = ",".join(targets[i:])
                rb.reply(n.ERR_MONLISTFULL, str(limit), rest, "Monitor list is full")
                break
            watchlist.add(session, folded, target)
        added.append(target)
    _status(server, rb, added)


def _status(server: Server, rb: ResponseBuffer, targets: list[str]) -> None:
    """730 with ``nick!user@host`` for the targets online, 731 for the others."""
    online: list[str] = []
    offline: list[str] = []
    for target in targets:
        source = source_of(server, casefold(target))
        if source is None:
            offline.append(target)
        else:
            online.append(source)
    _numerics(rb, n.RPL_MONONLINE, online)
    _numerics(rb, n.RPL_MONOFFLINE, offline)


def source_of(server: Server, folded: str) -> str | None:
    """``nick!user@host`` of whoever holds ``folded`` on the network, or None."""
    local = server.users.get(folded)
    if local is not None:
        return local.source
    remote = server.network.view.users.get(folded)
    return remote.source if remote is not None else None


def _numerics(rb: ResponseBuffer, numeric: str, items: Iterable[str]) -> None:
    """``numeric`` with ``items`` comma-separated, in as many lines as they need."""
    overhead = len(rb.numeric(numeric, "").to_bytes()) - 2  # prefix, numeric, nick, " :"
    chunk: list[str] = []
    size = overhead
    for item in items:
        if chunk and size + 1 + len(item.encode()) > LINE_BUDGET:
            rb.reply(numeric, ",".join(chunk))
            chunk, size = [], overhead
        size += len(item.encode()) + (1 if chunk else 0)
        chunk.append(item)
    if chunk:
        rb.reply(numeric, ",".join(chunk))
