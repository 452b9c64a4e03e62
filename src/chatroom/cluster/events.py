"""The events server processes exchange through Redis, and their wire form.

Pure: frozen records and JSON (de)serialisation, no I/O. Every event is published
once, by the process where it happened, wrapped in an envelope naming that process;
each process delivers it to its own local sessions. Lines travel already formatted
(source, command, params, tags including ``msgid`` and ``time``), so every process
shows the same bytes. Nicks and channel names in keys are casefolded.

:func:`decode` raises :class:`ValueError` for anything that is not an envelope this
module wrote: a bad publish on the shared channel costs one log line, never a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chatroom.protocol.line import Line


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

    ``state`` is the channel's state as the joiner's process holds it
    (:func:`chatroom.cluster.channels.dump`): a process without a mirror of the
    channel makes one from it, never one with default modes; "" from an older
    process (no mirror is made then)."""

    channel: str
    nick: str
    source: str
    status: str
    account: str
    realname: str
    line: Line
    state: str = ""


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

    ``state`` is the whole new state (:func:`chatroom.cluster.channels.dump`), which
    replaces every mirror's, or "" when only statuses changed; ``statuses`` are
    ``(folded nick, status)`` of members whose status changed (+o/+v on any
    process); ``line`` is what members see, if anything (the MODE or TOPIC line)."""

    channel: str
    state: str
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
    state: str


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
    | Kick
)

_TYPES: dict[str, type[Event]] = {
    "msg": ChannelMessage,
    "pm": PrivateMessage,
    "up": UserUp,
    "join": Join,
    "leave": Leave,
    "chan": ChannelLine,
    "quit": Quit,
    "nick": NickChange,
    "gone": ProcessGone,
    "state": UserState,
    "cstate": ChannelUpdate,
    "invite": Invite,
    "created": ChannelCreated,
    "kick": Kick,
}
_NAMES = {cls: name for name, cls in _TYPES.items()}


def _line_out(line: Line) -> list[Any]:
    return [dict(line.tags), line.source, line.command, list(line.params)]


def _line_in(value: Any) -> Line:
    tags, source, command, params = value
    if not (
        isinstance(tags, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())
        and (source is None or isinstance(source, str))
        and isinstance(command, str)
        and isinstance(params, list)
        and all(isinstance(p, str) for p in params)
    ):
        raise ValueError("malformed line")
    return Line(command, tuple(params), source, tags)


def encode(origin: str, event: Event) -> bytes:
    """The envelope for ``event`` published by process ``origin``."""
    body: dict[str, Any] = {"o": origin, "t": _NAMES[type(event)]}
    for key, value in vars(event).items():
        if isinstance(value, Line):
            body[key] = _line_out(value)
        elif key == "memberships" or key == "statuses":
            body[key] = [list(pair) for pair in value]
        else:
            body[key] = value
    return json.dumps(body, separators=(",", ":")).encode()


def decode(data: bytes | str) -> tuple[str, Event]:
    """``(origin, event)`` from an envelope; :class:`ValueError` if it is not one."""
    try:
        body = json.loads(data)
        origin = body.pop("o")
        cls = _TYPES[body.pop("t")]
        fields: dict[str, Any] = {}
        for key, value in body.items():
            if key == "line" and value is None and cls in (UserState, ChannelUpdate):
                fields[key] = None
            elif key == "line":
                fields[key] = _line_in(value)
            elif key == "channels":
                fields[key] = tuple(str(c) for c in value)
            elif key == "memberships" or key == "statuses":
                fields[key] = tuple((str(c), str(s)) for c, s in value)
            else:
                fields[key] = value
        event = cls(**fields)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not a chatroom cluster event: {exc}") from None
    if not isinstance(origin, str):
        raise ValueError("not a chatroom cluster event: bad origin")
    return origin, event
