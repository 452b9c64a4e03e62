"""The wire form of the events processes exchange through Redis
(:mod:`chatroom.server.network.events`).

Pure: JSON (de)serialisation, no I/O. Every event is published once, by the
process where it happened, wrapped in an envelope naming that process. A channel
state travels as the JSON text of :mod:`.channels` (the same text Redis stores),
inside the envelope as a string ("" for none).

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
from typing import Any

from chatroom.cluster import channels
from chatroom.protocol.line import Line
from chatroom.server.network.events import (
    USER_STATE_COMMANDS,
    ChannelCreated,
    ChannelLine,
    ChannelMessage,
    ChannelUpdate,
    Event,
    Invite,
    Join,
    Kick,
    Leave,
    NickChange,
    PrivateMessage,
    ProcessGone,
    Quit,
    Redaction,
    Resync,
    UserState,
    UserUp,
)
from chatroom.server.network.state import ChannelState

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
    "redact": Redaction,
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
        elif isinstance(value, ChannelState):
            body[key] = channels.dump(value)
        elif key == "state":  # a state that is None: "" as older processes wrote
            body[key] = ""
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

    Knows the types events use: ``str``, ``int``, ``bool``, :class:`Line`,
    :class:`ChannelState` (its JSON text: a malformed one refuses the event), a
    union with None, ``tuple[X, ...]`` and fixed tuples such as ``tuple[str, str]``."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        if value == "" and ChannelState in args:
            return None  # no state (or an older process's event without one)
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
    if hint is ChannelState and type(value) is str:
        return channels.parse(value)
    # bool is an int in Python, but not in an event: exact types only.
    if hint in (str, int, bool) and type(value) is hint:
        return value
    raise ValueError(f"{value!r} is not a {getattr(hint, '__name__', hint)}")
