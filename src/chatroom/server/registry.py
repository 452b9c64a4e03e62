"""Who is registered and which channels exist: the maps of one server process,
owned here and changed only through this module's methods.

The rules they keep (and that nobody else has to remember):

- a registered user is in :attr:`Registry.users` exactly once, under its folded nick,
  and a nick change moves the entry in one step;
- a channel is in :attr:`Registry.channels` exactly once, under its folded name;
- WHOWAS remembers at most ``whowas`` departures, newest first;
- the server bans (KLINE) hold one entry per folded mask;
- the counters: the most local users seen, the most network-wide users LUSERS
  showed (both high-water marks, never lower), and how many registered users have
  each user mode (+i, +o), so LUSERS counts nobody one by one.

Everyone reads the maps through read-only views (``Mapping``: mypy refuses a write
anywhere else); a method called against these rules raises
:class:`~chatroom.errors.LocalProtocolError` (a bug of the caller), naming it.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from chatroom.errors import LocalProtocolError
from chatroom.protocol.casemap import casefold
from chatroom.server.channel import Channel

if TYPE_CHECKING:
    from chatroom.server.session import Session
    from chatroom.storage.accounts import BanRecord


@dataclass(frozen=True)
class WhowasEntry:
    """What WHOWAS remembers of a nick that left."""

    nick: str
    user: str
    host: str
    realname: str
    left_at: int


class Registry:
    """The users, channels, WHOWAS entries, server bans and counters of one process."""

    def __init__(self, whowas: int = 1000) -> None:
        """``whowas``: how many departures WHOWAS remembers (0: none)."""
        self._users: dict[str, Session] = {}  # folded nick -> registered session
        self._channels: dict[str, Channel] = {}  # folded name -> channel
        self._whowas: deque[WhowasEntry] = deque(maxlen=max(whowas, 0))
        self._bans: dict[str, BanRecord] = {}  # folded mask -> ban, in the order added
        self._mode_counts: Counter[str] = Counter()
        self._max_users = 0
        self._max_global = 0
        self.users: Mapping[str, Session] = MappingProxyType(self._users)
        """Folded nick -> registered session (a live, read-only view)."""
        self.channels: Mapping[str, Channel] = MappingProxyType(self._channels)
        """Folded name -> channel (a live, read-only view)."""

    # -- users ----------------------------------------------------------------

    def register(self, session: Session) -> None:
        """Add a session that just registered, under its folded nick. Raise if it is
        not registered, has no nick, is in already, or another user has its nick
        (the caller checks that the nick is free first)."""
        folded = session.folded_nick
        if not session.registered or not folded:
            raise LocalProtocolError(f"{session.nick} is not registered: it cannot be added")
        holder = self._users.get(folded)
        if holder is not None:
            who = "is registered already" if holder is session else "is someone else's"
            raise LocalProtocolError(f"the nick {session.nick} {who}")
        self._users[folded] = session
        self._mode_counts.update(session.modes)
        self._max_users = max(self._max_users, len(self._users))

    def rename(self, session: Session, nick: str) -> str:
        """Give a registered user ``nick`` and move its entry; return the folded nick
        it had. Raise if it is not in, or if another user has ``nick``."""
        old = session.folded_nick
        new = casefold(nick)
        if self._users.get(old) is not session:
            raise LocalProtocolError(f"{session.nick} is not a registered user: cannot rename")
        if self._users.get(new, session) is not session:
            raise LocalProtocolError(f"the nick {nick} is someone else's")
        del self._users[old]
        session.nick, session.folded_nick = nick, new
        self._users[new] = session
        return old

    def unregister(self, session: Session) -> bool:
        """Remove a user who left (its modes no longer counted); False if it was not
        in (never registered, or removed already)."""
        if self._users.get(session.folded_nick) is not session:
            return False
        del self._users[session.folded_nick]
        self._mode_counts.subtract(session.modes)
        return True

    def drop_users(self) -> None:
        """Forget every user at once (shutdown: every connection is closing)."""
        self._users.clear()
        self._mode_counts.clear()

    def count_mode(self, mode: str, on: bool) -> None:
        """A registered user got (``on``) or lost user mode ``mode``."""
        self._mode_counts[mode] += 1 if on else -1

    def mode_count(self, mode: str) -> int:
        """How many registered users here have user mode ``mode``."""
        return self._mode_counts[mode]

    @property
    def max_users(self) -> int:
        """The most users registered here at once since the start."""
        return self._max_users

    def note_global(self, users: int) -> int:
        """Record that LUSERS counted ``users`` network-wide; return the most ever
        counted (never lower than :attr:`max_users`), as LUSERS shows it."""
        self._max_global = max(self._max_global, self._max_users, users)
        return self._max_global

    # -- whowas ---------------------------------------------------------------

    def remember(self, nick: str, user: str, host: str, realname: str) -> None:
        """WHOWAS remembers a nick that left now (the oldest entry goes when full)."""
        if self._whowas.maxlen:
            self._whowas.appendleft(WhowasEntry(nick, user, host, realname, int(time.time())))

    @property
    def whowas(self) -> Sequence[WhowasEntry]:
        """The nicks that left, newest first."""
        return self._whowas

    # -- channels -------------------------------------------------------------

    def add_channel(self, channel: Channel) -> Channel:
        """Add a channel (a new one, or a mirror of one on another process); raise if
        one has its name already."""
        if channel.folded != casefold(channel.name):
            raise LocalProtocolError(f"{channel.folded!r} is not the folded {channel.name!r}")
        if channel.folded in self._channels:
            raise LocalProtocolError(f"the channel {channel.name} exists already")
        self._channels[channel.folded] = channel
        return channel

    def channel(self, name: str) -> Channel:
        """The channel ``name``, made (empty) if there is none."""
        folded = casefold(name)
        channel = self._channels.get(folded)
        if channel is None:
            channel = self._channels[folded] = Channel(name, folded)
        return channel

    def remove_channel(self, channel: Channel) -> bool:
        """Drop ``channel``; False if the registry does not hold this very channel
        (removed already, or another one took its name meanwhile)."""
        if self._channels.get(channel.folded) is not channel:
            return False
        del self._channels[channel.folded]
        return True

    # -- server bans ----------------------------------------------------------

    @property
    def bans(self) -> tuple[BanRecord, ...]:
        """The server bans, oldest first (expired ones included: readers skip them)."""
        return tuple(self._bans.values())

    def set_bans(self, bans: Iterable[BanRecord]) -> None:
        """Replace every server ban (loading them at start); a later one with the
        same folded mask replaces an earlier one."""
        self._bans = {}
        for ban in bans:
            self.add_ban(ban)

    def add_ban(self, ban: BanRecord) -> None:
        """Add a ban, replacing one with the same (folded) mask; it goes last."""
        folded = casefold(ban.mask)
        self._bans.pop(folded, None)
        self._bans[folded] = ban

    def remove_ban(self, mask: str) -> bool:
        """Remove the ban on ``mask`` (compared folded); False if there was none."""
        return self._bans.pop(casefold(mask), None) is not None
