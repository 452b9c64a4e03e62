"""What one process knows of the users on the other processes of its network.

Pure state, no I/O: filled by the network's implementation (with ``--cluster``,
from a snapshot of Redis at start, then the :mod:`.events` other processes
publish); the core only reads it. Keys are casefolded nicks and channel names. The
view never holds this process's own users; a process alone has an empty one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatroom.server.network.events import UserUp


@dataclass(frozen=True)
class RemoteUser:
    """A user registered on another process, with what WHO/WHOIS show of it (the
    fields of :class:`~chatroom.server.network.events.UserUp`)."""

    nick: str
    source: str
    process: str
    realname: str = ""
    account: str | None = None
    away: str | None = None
    modes: str = ""
    signon: int = 0
    secure: bool = False

    @classmethod
    def from_up(cls, up: UserUp, process: str) -> RemoteUser:
        """The user ``up`` announces, registered on ``process`` (by keyword: a field
        added to both cannot shift the others)."""
        return cls(
            nick=up.nick,
            source=up.source,
            process=process,
            realname=up.realname,
            account=up.account,
            away=up.away,
            modes=up.modes,
            signon=up.signon,
            secure=up.secure,
        )

    @property
    def user(self) -> str:
        return self.source.partition("!")[2].partition("@")[0]

    @property
    def host(self) -> str:
        return self.source.partition("@")[2]

    @property
    def invisible(self) -> bool:
        return "i" in self.modes

    @property
    def is_operator(self) -> bool:
        return "o" in self.modes


class RemoteView:
    """Remote users and which channels they are in (with their status there)."""

    def __init__(self) -> None:
        self.users: dict[str, RemoteUser] = {}
        self.members: dict[str, dict[str, str]] = {}  # channel -> nick -> status
        self._channels_of: dict[str, set[str]] = {}  # nick -> channels
        # Remote users with each user mode ('i', 'o'), kept in step so that LUSERS,
        # sent at every registration, never counts users one by one.
        self.mode_counts: Counter[str] = Counter()

    def add_user(self, folded: str, user: RemoteUser) -> None:
        """Remember (or refresh) a remote user."""
        old = self.users.get(folded)
        if old is not None:
            self.mode_counts.subtract(old.modes)
        self.mode_counts.update(user.modes)
        self.users[folded] = user

    def join(self, channel: str, folded: str, status: str) -> None:
        """A known remote user is in ``channel`` with ``status``."""
        self.members.setdefault(channel, {})[folded] = status
        self._channels_of.setdefault(folded, set()).add(channel)

    def leave(self, channel: str, folded: str) -> None:
        """A remote user left ``channel`` (no error if it was not there)."""
        members = self.members.get(channel)
        if members is not None:
            members.pop(folded, None)
            if not members:
                del self.members[channel]
        channels = self._channels_of.get(folded)
        if channels is not None:
            channels.discard(channel)

    def member_count(self, channel: str) -> int:
        """How many members ``channel`` (folded) has on the other processes."""
        return len(self.members.get(channel, ()))

    def channels_of(self, folded: str) -> set[str]:
        """The channels a remote user is in (a copy)."""
        return set(self._channels_of.get(folded, ()))

    def remove_user(self, folded: str) -> RemoteUser | None:
        """Forget a remote user and its memberships; return what was known of it."""
        for channel in self.channels_of(folded):
            self.leave(channel, folded)
        self._channels_of.pop(folded, None)
        user = self.users.pop(folded, None)
        if user is not None:
            self.mode_counts.subtract(user.modes)
        return user

    def rename(
        self, old: str, new: str, nick: str, source: str, process: str | None = None
    ) -> None:
        """A remote user changed nick; its memberships follow it. Whoever the view
        still had under ``new`` (a nick taken twice while Redis was away) is
        forgotten first, with its memberships and mode counts. With ``process``,
        only a user of that process is renamed (the one under ``old`` may be
        another process's user of the same nick, after a split)."""
        user = self.users.get(old)
        if user is None or (process is not None and user.process != process):
            return
        if new != old:
            self.remove_user(new)
        user = self.users.pop(old)
        self.users[new] = replace(user, nick=nick, source=source)
        for channel in self.channels_of(old):
            status = self.members[channel].pop(old)
            self.members[channel][new] = status
        self._channels_of[new] = self._channels_of.pop(old, set())

    def processes(self) -> set[str]:
        """Every other process that has users here."""
        return {user.process for user in self.users.values()}

    def users_of(self, process: str) -> list[tuple[str, RemoteUser]]:
        """``(folded nick, user)`` for every user of ``process``."""
        return [(f, u) for f, u in self.users.items() if u.process == process]

    def set_state(
        self, folded: str, realname: str, account: str | None, away: str | None, modes: str
    ) -> RemoteUser | None:
        """A remote user's away message, account, realname or modes changed; return
        the user as it was (None, and nothing changed, if it is not known)."""
        old = self.users.get(folded)
        if old is not None:
            new = replace(old, realname=realname, account=account, away=away, modes=modes)
            self.add_user(folded, new)
        return old
