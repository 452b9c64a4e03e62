"""A channel's state: members with their status, modes, topic and the mask lists.

Pure state plus the rules that read it (may this user join? speak?). Sending
is done by the command handlers through the server. :class:`Room` is generic in
its members (anything that is a :class:`Member`), so it needs nothing of the
session: :mod:`chatroom.server.channel` names the server's channels, rooms of
sessions, and the session names its channels back without a loop of imports.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Container, Hashable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from chatroom.protocol.casemap import casefold
from chatroom.server.outgoing import Segment

# Membership prefixes, highest first (ISUPPORT PREFIX=(ov)@+).
PREFIX_MODES = "ov"
PREFIX_CHARS = "@+"
_PREFIX_OF = dict(zip(PREFIX_MODES, PREFIX_CHARS, strict=True))

# ISUPPORT CHANMODES=A,B,C,D: list modes, always-parameter, set-only parameter, flags.
LIST_MODES = "beI"
PARAM_ALWAYS = "k"
PARAM_SET = "l"
FLAG_MODES = "imnst"


def status_prefix(status: str, multi: bool) -> str:
    """The prefix for status modes ``status``: the highest, or all with multi-prefix."""
    chars = [_PREFIX_OF[m] for m in PREFIX_MODES if m in status]
    if not chars:
        return ""
    return "".join(chars) if multi else chars[0]


def with_status(status: str, mode: str, on: bool) -> str:
    """``status`` with status mode ``mode`` given (``on``) or taken, highest first."""
    if on:
        return "".join(m for m in PREFIX_MODES if m in status or m == mode)
    return status.replace(mode, "")


@dataclass(frozen=True)
class ListEntry:
    """A ban, exception or invite exception."""

    mask: str
    setter: str
    set_at: int


class Member(Protocol):
    """What a room reads of its members (a session is one)."""

    def __hash__(self) -> int: ...

    @property
    def identity(self) -> Hashable:
        """Everything a mask can match on; a new value makes cached answers stale."""
        ...

    @property
    def invited(self) -> Container[object]:
        """The rooms the member was invited to."""
        ...

    def matches(self, mask: str) -> bool:
        """Whether a ``nick!user@host`` mask matches the member."""
        ...


M = TypeVar("M", bound=Member)


class Room(Generic[M]):
    """Members map each member to its status modes ('' for none, 'o', 'v', 'ov')."""

    def __init__(self, name: str, folded: str) -> None:
        self.name = name
        self.folded = folded
        self.members: dict[M, str] = {}
        self.created = int(time.time())
        self.modes: set[str] = {"n", "t"}
        self.key: str | None = None
        self.limit: int | None = None
        self.topic = ""
        self.topic_setter = ""
        self.topic_time = 0
        # Each list is a tuple, replaced (never changed in place) on every +b/-b...:
        # a new tuple is what tells the ban cache below that the list changed.
        self.lists: dict[str, tuple[ListEntry, ...]] = {m: () for m in LIST_MODES}
        self.permanent = False  # the default room (and registered ones) outlive their members
        self.founder: str | None = None  # the account that registered it, if any
        self.op_accounts: set[str] = set()  # casefolded accounts made operator on join
        # member -> (what the answer depends on, is_banned's answer); see is_banned.
        self._banned: dict[M, tuple[Hashable, bool]] = {}
        # Messages relayed to all members this event-loop turn (server/outgoing.py), for
        # one membership: ``epoch`` counts changes of membership, so a segment made
        # before one is never added to after it. A weak reference: once every member
        # has written it, the segment and its bytes go, even if the room stays quiet.
        self.segment: weakref.ref[Segment] | None = None
        self.epoch = 0

    def __repr__(self) -> str:
        return f"<Channel {self.name} {len(self.members)} members>"

    # -- membership ---------------------------------------------------------

    def add(self, member: M, status: str) -> None:
        """Make ``member`` a member with ``status`` ('' for none)."""
        self.members[member] = status
        self.epoch += 1

    def remove(self, member: M) -> None:
        """Remove ``member`` (if it is one)."""
        self.members.pop(member, None)
        self.epoch += 1

    # -- status -------------------------------------------------------------

    def is_op(self, session: M) -> bool:
        return "o" in self.members.get(session, "")

    def is_voiced(self, session: M) -> bool:
        status = self.members.get(session, "")
        return "o" in status or "v" in status

    def prefix(self, session: M, multi: bool) -> str:
        """The prefix shown before a member's nick: the highest, or all with multi-prefix."""
        return status_prefix(self.members.get(session, ""), multi)

    def set_status(self, session: M, mode: str, on: bool) -> bool:
        """Give or take 'o' or 'v'; return whether anything changed."""
        status = self.members[session]
        if on == (mode in status):
            return False
        self.members[session] = with_status(status, mode, on)
        return True

    def follow_op_account(self, account: str | None, on: bool) -> None:
        """A registered room remembers its operators by account: +o of a logged-in
        user adds the account, -o takes it away (never the founder's)."""
        if account is None or self.founder is None:
            return
        folded = casefold(account)
        if on:
            self.op_accounts.add(folded)
        elif folded != casefold(self.founder):
            self.op_accounts.discard(folded)

    # -- rules ------------------------------------------------------------------

    def _listed(self, mode: str, session: M) -> bool:
        return any(session.matches(e.mask) for e in self.lists[mode])

    def is_banned(self, session: M) -> bool:
        """Banned by +b and not excepted by +e.

        A member's answer is cached: every message to the channel asks again, and
        matching it against a full ban list costs a hundred mask matches (issue 14).
        The cache key is everything the answer depends on, so nothing has to
        remember to clear it: the member's identity (nick, user, host, address,
        account) and the +b and +e tuples themselves (a list change makes new ones).
        """
        bans = self.lists["b"]
        if not bans:
            return False
        if session not in self.members:
            return self._listed("b", session) and not self._listed("e", session)
        key = (session.identity, bans, self.lists["e"])
        cached = self._banned.get(session)
        if cached is not None and cached[0] == key:
            return cached[1]
        banned = self._listed("b", session) and not self._listed("e", session)
        if len(self._banned) > 2 * len(self.members) + 16:
            # Forget members who left (kept small without a hook on every departure).
            self._banned = {s: v for s, v in self._banned.items() if s in self.members}
        self._banned[session] = (key, banned)
        return banned

    def is_invited(self, session: M) -> bool:
        """Invited by INVITE or matching an invite exception (+I)."""
        return self in session.invited or self._listed("I", session)

    def may_change_nick(self, session: M) -> bool:
        """Whether a member may change nick: not while banned here, unless voiced or
        op (as in Hybrid, ratbox and Unreal; a ban does not silence them either),
        since a new nick would step around a ban on the old one."""
        return bool(self.members.get(session)) or not self.is_banned(session)

    def can_speak(self, session: M) -> bool:
        """Whether a PRIVMSG/NOTICE from this session may go to the channel."""
        status = self.members.get(session)
        if status is None:
            if "n" in self.modes:
                return False
        elif status:  # voiced or op
            return True
        if "m" in self.modes:
            return False
        return not self.is_banned(session)

    def mode_string(self, show_key: bool) -> tuple[str, ...]:
        """The flags and parameters for RPL_CHANNELMODEIS."""
        flags = "+" + "".join(sorted(self.modes))
        params: list[str] = []
        if self.key is not None:
            flags += "k"
            params.append(self.key if show_key else "*")
        if self.limit is not None:
            flags += "l"
            params.append(str(self.limit))
        return (flags, *params)
