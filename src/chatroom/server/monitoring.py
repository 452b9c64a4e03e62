"""What MONITOR watchers are told when a nick comes, goes or is renamed, here or on
another process (https://ircv3.net/specs/extensions/monitor: 730 and 731).

It needs only the watchlist and a way to send a numeric, so the core's server module
and the cluster's delivery both call it without importing each other's types.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol, TypeVar

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.server.watchlist import Watchlist


class Watcher(Hashable, Protocol):
    """A session as MONITOR sees it."""

    def send_numeric(self, numeric: str, *params: str) -> None: ...


W = TypeVar("W", bound=Watcher)


def online(watchlist: Watchlist[W], nick: str, source: str) -> None:
    """``nick`` (``source`` = nick!user@host) is now on the network, here or on
    another process: ``730 RPL_MONONLINE`` to those monitoring it."""
    for watcher in watchlist.watchers(casefold(nick)):
        watcher.send_numeric(n.RPL_MONONLINE, source)


def offline(watchlist: Watchlist[W], nick: str) -> None:
    """``nick`` left the network (quit, or renamed away): ``731 RPL_MONOFFLINE``
    to those monitoring it."""
    for watcher in watchlist.watchers(casefold(nick)):
        watcher.send_numeric(n.RPL_MONOFFLINE, nick)


def renamed(watchlist: Watchlist[W], line: Line) -> None:
    """A user changed nick (``line``: its NICK, from the old source): the old nick
    went offline and the new one came online, for MONITOR. A change of case only
    is neither."""
    old, _, mask = (line.source or "").partition("!")
    new = line.params[0]
    if casefold(old) != casefold(new):
        offline(watchlist, old)
        online(watchlist, new, f"{new}!{mask}")
