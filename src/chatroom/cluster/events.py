"""The wire form of the events processes exchange through Redis
(:mod:`chatroom.server.network.events`).

Pure: msgpack (de)serialisation, no I/O. Every event is published once, by the
process where it happened, as one msgpack array, positional so that a chat
message crosses Redis as little more than its line::

    [kind, origin process, sequence number, field 1, field 2, ...]

The fields follow the order of the event's dataclass; a :class:`Line` is
``[command, [params], source or nil, {tags}, time]``, its server-time tag as
milliseconds since the epoch (nil if it has none, or one in another form, which
then stays among the tags); a channel state is the JSON text
of :mod:`.channels` (the same text Redis stores; "" for none). A :class:`Join`
carries no channel state on the wire: a process without a copy of the channel
reads it from Redis (``chatroom:channel:<name>``, written before the JOIN is
published). The sequence number counts the events of one origin process
(:mod:`.sequence`): a receiver drops one it has seen, so a retried write shows
nothing twice.

:func:`decode` raises :class:`ValueError` for anything that is not an envelope this
module wrote, down to the type of each field: a bad publish costs one log line,
never a crash. Trailing fields it does not know are ignored and missing trailing
fields take their defaults, so a field added later (at the end, with a default)
does not stop older processes from reading an event.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack  # type: ignore[import-untyped]  # no stubs; only packb/unpackb used

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
    Resync,
    UserState,
    UserUp,
)
from chatroom.server.network.state import ChannelState
from chatroom.server.outgoing import format_time

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


_OFF_WIRE: dict[type[Event], tuple[str, ...]] = {Join: ("state",)}
"""Fields that stay home: a JOIN's channel state is read from Redis by whoever needs it."""


def _line_out(line: Line) -> list[Any]:
    tags = dict(line.tags)
    stamp = tags.get("time")
    when = _ms_of(stamp) if stamp is not None else None
    if when is not None:
        del tags["time"]  # travels as a number: 6 bytes, not 26
    return [line.command, list(line.params), line.source, tags, when]


def _ms_of(stamp: str) -> int | None:
    """A server-time stamp as milliseconds since the epoch, if it reads back as
    exactly the same text (else it travels as it is)."""
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    ms = (when - _EPOCH) // timedelta(milliseconds=1)
    return ms if _stamp_of(ms) == stamp else None


def _stamp_of(ms: int) -> str:
    return format_time(_EPOCH + timedelta(milliseconds=ms))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_MS = 253_402_300_800_000  # year 10000: beyond, no stamp to make


def _line_in(value: Any) -> Line:
    if not isinstance(value, list) or len(value) != 5:
        raise ValueError("malformed line")
    command, params, source, tags, when = value
    if not (
        isinstance(tags, dict)
        and all(type(k) is str and type(v) is str for k, v in tags.items())
        and (source is None or type(source) is str)
        and type(command) is str
        and isinstance(params, list)
        and all(type(p) is str for p in params)
        and (when is None or (type(when) is int and 0 <= when < _MAX_MS))
    ):
        raise ValueError("malformed line")
    if when is not None:
        tags["time"] = _stamp_of(when)
    return Line(command, tuple(params), source, tags)


def _field_out(key: str, value: Any) -> Any:
    if isinstance(value, Line):
        return _line_out(value)
    if isinstance(value, ChannelState):
        return channels.dump(value)
    if key == "state":  # a state that is None
        return ""
    return value  # tuples of tuples pack as arrays of arrays


def encode(origin: str, seq: int, event: Event) -> bytes:
    """The envelope for ``event``, the ``seq``-th event published by process ``origin``."""
    cls = type(event)
    skip = _OFF_WIRE.get(cls, ())
    body: list[Any] = [_NAMES[cls], origin, seq]
    body += [
        _field_out(f.name, getattr(event, f.name))
        for f in dataclasses.fields(cls)
        if f.name not in skip
    ]
    packed: bytes = msgpack.packb(body, use_bin_type=True)
    return packed


def decode(data: bytes) -> tuple[str, int, Event]:
    """``(origin, seq, event)`` from an envelope; :class:`ValueError` if it is not one.

    Every field is checked against its annotation (a ``str`` is a ``str``, nil
    only where the field may be None, pairs are pairs), so a bad value is refused
    here rather than raising later in the code that delivers it. Trailing fields
    this version does not know are ignored: a newer process may add fields to an
    event (with a default) and older ones still read it. A kind of event this
    version does not know is refused (see docs/scale-out.md on upgrades)."""
    try:
        body = msgpack.unpackb(data, raw=False, strict_map_key=True, use_list=True)
        if not isinstance(body, list) or len(body) < 3:
            raise ValueError("not an array")
        kind, origin, seq, *values = body
        cls = _TYPES[kind]
        hints = _hints(cls)
        names = [name for name in hints if name not in _OFF_WIRE.get(cls, ())]
        fields = {
            name: _value(value, hints[name]) for name, value in zip(names, values, strict=False)
        }
        event = cls(**fields)
    except Exception as exc:  # msgpack raises several kinds: all mean "not ours"
        raise ValueError(f"not a chatroom cluster event: {exc}") from None
    if type(origin) is not str or type(seq) is not int:
        raise ValueError("not a chatroom cluster event: bad origin or sequence number")
    state_line = event.line if isinstance(event, UserState) else None
    if state_line is not None and state_line.command not in USER_STATE_COMMANDS:
        raise ValueError(f"not a chatroom cluster event: a {state_line.command} state line")
    return origin, seq, event


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    """The field types of an event class (resolved once: this module's annotations
    are strings under ``from __future__ import annotations``)."""
    if cls not in _HINTS:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = {field.name: hints[field.name] for field in dataclasses.fields(cls)}
    return _HINTS[cls]


def _value(value: Any, hint: Any) -> Any:
    """``value`` from msgpack as a field of type ``hint``, or :class:`ValueError`.

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
