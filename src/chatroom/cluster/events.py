"""The events server processes exchange through Redis, and their wire form.

Pure: frozen records and JSON (de)serialisation, no I/O. Every event is published
once, by the process where it happened, wrapped in an envelope naming that process;
each process delivers it to its own local sessions. Lines travel already formatted
(source, command, params, tags including ``msgid`` and ``time``), so every process
shows the same bytes. Nicks and channel names in keys are casefolded.

:func:`decode` raises :class:`ValueError` for anything that is not an envelope this
module wrote, down to the type of each field: a bad publish on the shared channel
costs one log line, never a crash. Fields it does not know are ignored, so a field
added later (with a default) does not stop older processes from reading an event.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
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
    "resync": Resync,
    "kick": Kick,
}
_NAMES = {cls: name for name, cls in _TYPES.items()}


def _line_out(line: Line) -> list[Any]:
    return [dict(line.tags), line.source, line.command, list(line.params)]


def _line_in(value: Any) -> Line:
    if not isinstance(value, list) or len(value) != 4:
        raise ValueError("malformed line")
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
    """``(origin, event)`` from an envelope; :class:`ValueError` if it is not one.

    Every field is checked against its annotation (a ``str`` is a ``str``, ``null``
    only where the field may be None, pairs are pairs), so a bad value is refused
    here rather than raising later in the code that delivers it. Keys this version
    does not know are ignored: a newer process may add fields to an event (with a
    default) and older ones still read it. A kind of event this version does not
    know is refused (see docs/scale-out.md on upgrades)."""
    try:
        body = json.loads(data)
        origin = body.pop("o")
        cls = _TYPES[body.pop("t")]
        hints = _hints(cls)
        fields = {key: _value(body[key], hints[key]) for key in hints if key in body}
        event = cls(**fields)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not a chatroom cluster event: {exc}") from None
    if not isinstance(origin, str):
        raise ValueError("not a chatroom cluster event: bad origin")
    state_line = event.line if isinstance(event, UserState) else None
    if state_line is not None and state_line.command not in USER_STATE_COMMANDS:
        raise ValueError(f"not a chatroom cluster event: a {state_line.command} state line")
    return origin, event


USER_STATE_COMMANDS = ("AWAY", "ACCOUNT", "SETNAME")
"""The notifications a :class:`UserState` may carry (each has its capability)."""


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    """The field types of an event class (resolved once: this module's annotations
    are strings under ``from __future__ import annotations``)."""
    if cls not in _HINTS:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = {field.name: hints[field.name] for field in dataclasses.fields(cls)}
    return _HINTS[cls]


def _value(value: Any, hint: Any) -> Any:
    """``value`` from JSON as a field of type ``hint``, or :class:`ValueError`.

    Knows the types events use: ``str``, ``int``, ``bool``, :class:`Line`, a union
    with None, ``tuple[X, ...]`` and fixed tuples such as ``tuple[str, str]``."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _value(value, inner)
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{value!r} is not a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_value(item, args[0]) for item in value)
        if len(value) != len(args):
            raise ValueError(f"{value!r} does not have {len(args)} items")
        return tuple(_value(item, arg) for item, arg in zip(value, args, strict=True))
    if hint is Line:
        return _line_in(value)
    # bool is an int in Python, but not in an event: exact types only.
    if hint in (str, int, bool) and type(value) is hint:
        return value
    raise ValueError(f"{value!r} is not a {getattr(hint, '__name__', hint)}")
