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
reads it from Redis (``{chatroom}:channel:<name>``, written before the JOIN is
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
import functools
import re
import types
import typing
from collections.abc import Callable
from datetime import date, timedelta
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


_OFF_WIRE: dict[type[Event], tuple[str, ...]] = {Join: ("state",)}
"""Fields that stay home: a JOIN's channel state is read from Redis by whoever needs it."""


def _line_out(line: Line) -> list[Any]:
    tags = dict(line.tags)
    stamp = tags.get("time")
    when = _ms_of(stamp) if stamp is not None else None
    if when is not None:
        del tags["time"]  # travels as a number: 6 bytes, not 26
    return [line.command, list(line.params), line.source, tags, when]


_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_EPOCH = date(1970, 1, 1)  # the stamps are UTC
_DAY_MS = 86_400_000
_MAX_MS = 253_402_300_800_000  # year 10000: beyond, no stamp to make


def stamp_ms(stamp: str) -> int | None:
    """A server-time tag's value as milliseconds since the epoch, or None if it is
    not of the form this server writes."""
    return _ms_of(stamp)


def _ms_of(stamp: str) -> int | None:
    """A server-time stamp (``format_time``'s form, in UTC) as milliseconds since the
    epoch, or None if it is not exactly of that form (it then travels as it is).
    Plain arithmetic, the day cached: this runs for every message."""
    if not _STAMP.fullmatch(stamp):
        return None
    hour, minute, second = int(stamp[11:13]), int(stamp[14:16]), int(stamp[17:19])
    if hour > 23 or minute > 59 or second > 59:
        return None
    try:
        days = _day_of(stamp[:10])
    except ValueError:  # a 13th month, say
        return None
    if days < 0:
        return None
    return days * _DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + int(stamp[20:23])


def _stamp_of(ms: int) -> str:
    """The stamp of ``ms``, as ``chatroom.server.outgoing.format_time`` writes it."""
    days, rest = divmod(ms, _DAY_MS)
    seconds, milli = divmod(rest, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_date_of(days)}T{hour:02d}:{minute:02d}:{second:02d}.{milli:03d}Z"


@functools.lru_cache(maxsize=16)
def _day_of(text: str) -> int:
    """Days since the epoch of ``YYYY-MM-DD``; :class:`ValueError` if no such day."""
    return (date.fromisoformat(text) - _EPOCH).days


@functools.lru_cache(maxsize=16)
def _date_of(days: int) -> str:
    when = _EPOCH + timedelta(days=days)
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d}"


def _line_in(value: Any) -> Line:
    if type(value) is not list or len(value) != 5:
        raise ValueError("malformed line")
    command, params, source, tags, when = value
    if not (
        type(tags) is dict
        and all(type(k) is str and type(v) is str for k, v in tags.items())
        and (source is None or type(source) is str)
        and type(command) is str
        and type(params) is list
        and all(type(p) is str for p in params)
        and (when is None or (type(when) is int and 0 <= when < _MAX_MS))
    ):
        raise ValueError("malformed line")
    if when is not None:
        tags["time"] = _stamp_of(when)
    return Line(command, tuple(params), source, tags)


Convert = Callable[[Any], Any]


def _state_out(state: ChannelState | None) -> str:
    return "" if state is None else channels.dump(state)


def _writer(hint: Any) -> Convert | None:
    """How a field of type ``hint`` goes on the wire (None: as it is; tuples of
    tuples pack as arrays of arrays)."""
    inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if hint is Line or inner == [Line]:
        return lambda line: None if line is None else _line_out(line)
    if hint is ChannelState or inner == [ChannelState]:
        return _state_out
    return None


def _reader(hint: Any) -> Convert:
    """How a field of type ``hint`` comes off the wire, checked: a function that
    returns the value or raises :class:`ValueError`.

    Knows the types events use: ``str``, ``int``, ``bool`` (exact types: a bool is
    not an int here), :class:`Line`, :class:`ChannelState` (its JSON text: a
    malformed one refuses the event; "" is None), a union with None,
    ``tuple[X, ...]`` and fixed tuples such as ``tuple[str, str]``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        (inner,) = [arg for arg in args if arg is not type(None)]
        read, state = _reader(inner), inner is ChannelState
        return lambda v: None if v is None or (state and v == "") else read(v)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _reader(args[0])
        return lambda v: tuple(map(item, _list(v, None)))
    if origin is tuple:
        readers = [_reader(arg) for arg in args]
        return lambda v: tuple(r(x) for r, x in zip(readers, _list(v, len(readers)), strict=True))
    if hint is Line:
        return _line_in
    if hint is ChannelState:
        return lambda v: channels.parse(_exact(v, str))
    if hint in (str, int, bool):
        return lambda v: _exact(v, hint)
    raise TypeError(f"no wire form for {hint!r}")  # a new field type: teach it here


def _exact(value: Any, kind: type[Any]) -> Any:
    if type(value) is not kind:
        raise ValueError(f"{value!r} is not a {kind.__name__}")
    return value


def _list(value: Any, length: int | None) -> list[Any]:
    if type(value) is not list or (length is not None and len(value) != length):
        raise ValueError(f"{value!r} is not a list of {length or 'any number of'} items")
    return value


Schema = list[tuple[str, Convert | None, Convert]]
_SCHEMAS: dict[type[Event], Schema] = {}


def _schema(cls: type[Event]) -> Schema:
    """Each field of ``cls`` that goes on the wire, in order: its name, writer and
    reader (made once: this module's annotations are strings under ``from
    __future__ import annotations``)."""
    schema = _SCHEMAS.get(cls)
    if schema is None:
        hints = typing.get_type_hints(cls)
        skip = _OFF_WIRE.get(cls, ())
        schema = _SCHEMAS[cls] = [
            (f.name, _writer(hints[f.name]), _reader(hints[f.name]))
            for f in dataclasses.fields(cls)
            if f.name not in skip
        ]
    return schema


def encode(origin: str, seq: int, event: Event) -> bytes:
    """The envelope for ``event``, the ``seq``-th event published by process ``origin``."""
    cls = type(event)
    body: list[Any] = [_NAMES[cls], origin, seq]
    for name, write, _read in _schema(cls):
        value = getattr(event, name)
        body.append(value if write is None else write(value))
    packed: bytes = msgpack.packb(body, use_bin_type=True)
    return packed


def peek(data: bytes) -> tuple[type[Event], str] | None:
    """The kind of event and origin of an envelope, reading nothing else (a process
    drops its own events, heard back from Redis, for less than a decode); None if
    ``data`` does not start as an envelope (:func:`decode` says why)."""
    try:
        unpacker = msgpack.Unpacker(raw=False)
        unpacker.feed(data)
        if unpacker.read_array_header() < 3:
            return None
        kind, origin = unpacker.unpack(), unpacker.unpack()
        cls = _TYPES.get(kind) if type(kind) is str else None
    except Exception:  # msgpack's errors, of several kinds
        return None
    return None if cls is None or type(origin) is not str else (cls, origin)


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
        if type(body) is not list or len(body) < 3:
            raise ValueError("not an array")
        kind, origin, seq, *values = body
        cls = _TYPES[kind]
        fields = {
            name: read(value)
            for (name, _write, read), value in zip(_schema(cls), values, strict=False)
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
