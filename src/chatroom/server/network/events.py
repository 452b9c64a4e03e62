"""The events the processes of a network exchange (docs/scale-out.md).

Frozen records, no I/O and no wire form (the Redis layer encodes them). Every
event is published once, by the process where it happened; each process delivers
it to its own local sessions. Lines travel already formatted (source, command,
params, tags including ``msgid`` and ``time``), so every process shows the same
bytes. Nicks and channel names in keys are casefolded. Every field is a value
(strings, numbers, tuples, :class:`Line`, :class:`ChannelState`), so events are
hashable and compare by value.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatroom.protocol.line import Line
from chatroom.server.network.state import ChannelState


@dataclass(frozen=True)
class ChannelMessage:
    """PRIVMSG/NOTICE/TAGMSG to a channel; ``status`` ('', '@', '+') limits recipients."""

    channel: str
    line: Line
    status: str = ""
    tagmsg: bool = False


@dataclass(frozen=True)
class PrivateMessage:
    """A message to one nick owned by the receiving process."""

    target: str
    line: Line
    tagmsg: bool = False


@dataclass(frozen=True)
class UserUp:
    """A user finished registering (so its nick is known network-wide), with what
    WHO/WHOIS show of it. ``modes`` are its user modes ('i' invisible, 'o' IRC
    operator); ``signon`` is a Unix time; ``secure`` means TLS. The fields after
    ``source`` have defaults so that events from older processes still decode."""

    nick: str
    source: str
    realname: str = ""
    account: str | None = None
    away: str | None = None
    modes: str = ""
    signon: int = 0
    secure: bool = False


@dataclass(frozen=True)
class Join:
    """``nick`` joined ``channel`` with ``status`` ('' or 'o'); ``line`` is the plain JOIN.

    ``state`` is the channel's state as the joiner's process holds it: a process
    without a mirror of the channel makes one from it, never one with default
    modes; None from an older process (no mirror is made then)."""

    channel: str
    nick: str
    source: str
    status: str
    account: str
    realname: str
    line: Line
    state: ChannelState | None = None


@dataclass(frozen=True)
class Leave:
    """``nick`` left ``channel`` (PART or KICK, as ``line`` says)."""

    channel: str
    nick: str
    line: Line


@dataclass(frozen=True)
class ChannelLine:
    """A line for a channel's members that changes no membership (TOPIC)."""

    channel: str
    line: Line


@dataclass(frozen=True)
class Quit:
    """``nick`` left the network; ``channels`` are the (folded) channels it was in."""

    nick: str
    channels: tuple[str, ...]
    line: Line


@dataclass(frozen=True)
class NickChange:
    """``old`` (folded) is now ``new``; ``memberships`` are (channel, status) pairs."""

    old: str
    new: str
    source: str
    memberships: tuple[tuple[str, str], ...]
    line: Line


@dataclass(frozen=True)
class ProcessGone:
    """The sending process is shutting down: its users are gone, with ``reason``."""

    reason: str


@dataclass(frozen=True)
class UserState:
    """The away message, account, realname or user modes of ``nick`` (folded)
    changed: the whole new state. ``line`` is the notification for local members
    sharing a channel with it (``AWAY``, ``ACCOUNT`` or ``SETNAME``, each only to
    those with the matching capability), or None (a mode change tells nobody)."""

    nick: str
    realname: str
    account: str | None
    away: str | None
    modes: str
    line: Line | None = None


@dataclass(frozen=True)
class ChannelUpdate:
    """``channel``'s shared state changed (MODE, TOPIC, ChanServ).

    ``state`` is the whole new state, which replaces every mirror's, or None when
    only statuses changed; ``statuses`` are
    ``(folded nick, status)`` of members whose status changed (+o/+v on any
    process); ``line`` is what members see, if anything (the MODE or TOPIC line)."""

    channel: str
    state: ChannelState | None
    statuses: tuple[tuple[str, str], ...] = ()
    line: Line | None = None


@dataclass(frozen=True)
class Invite:
    """``target`` (folded) was invited to ``channel``; ``line`` is the INVITE.

    Its process remembers the invite and shows the line; every process shows it to
    its operators of the channel that have invite-notify."""

    channel: str
    target: str
    line: Line


@dataclass(frozen=True)
class ChannelCreated:
    """``nick`` (folded) created ``channel`` with ``state``: nobody was in it anywhere.

    Redis decides atomically whether it really was first, before the JOIN makes
    ``nick`` operator: only then is the event published (by a Lua script, see the
    bridge's ``create_channel``); it comes before the creator's :class:`Join`."""

    channel: str
    nick: str
    state: ChannelState


@dataclass(frozen=True)
class Resync:
    """The sending process was cut off from Redis from ``since_ms`` (milliseconds
    since the epoch) until now: the messages it stored meanwhile never reached the
    others, who catch up on them from the shared history."""

    since_ms: int


@dataclass(frozen=True)
class Kick:
    """A KICK of ``target`` (folded), a user of the receiving process (sent to its
    inbox only); ``line`` is the KICK.

    The user's own process applies it, if the user is still in the channel under
    that nick, and publishes the :class:`Leave` everyone shows: a user renaming at
    that instant is then kicked nowhere rather than only on some processes."""

    channel: str
    target: str
    line: Line


@dataclass(frozen=True)
class Redaction:
    """A ``REDACT`` (draft/message-redaction) for the sessions of the receiving process
    that enabled the capability: the members of channel ``target`` (folded), or the
    user with nick ``target`` (folded) in a private conversation. The redacting
    process checked the rules and tombstoned the message; ``line`` is the REDACT."""

    target: str
    line: Line


Event = (
    ChannelMessage
    | PrivateMessage
    | UserUp
    | Join
    | Leave
    | ChannelLine
    | Quit
    | NickChange
    | ProcessGone
    | UserState
    | ChannelUpdate
    | Invite
    | ChannelCreated
    | Resync
    | Kick
    | Redaction
)


USER_STATE_COMMANDS = ("AWAY", "ACCOUNT", "SETNAME")
"""The notifications a :class:`UserState` may carry (each has its capability)."""
