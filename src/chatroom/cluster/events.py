"""The wire form of the events processes exchange through Redis
(:mod:`chatroom.server.network.events`).

Pure: msgpack (de)serialisation, no I/O. Every event is published once, by the
process where it happened, as one msgpack array, positional so that a chat
message crosses Redis as little more than its line::

    [kind, origin process, sequence number, field 1, field 2, ...]

``kind`` is a small integer (:data:`KINDS`). The fields follow the order of the
event's dataclass, and trailing ones equal to their default are left off; a
:class:`Line` has its own compact form (:mod:`.wireline`: the commonest commands
as numbers, the time as milliseconds, a msgid of the origin as its counter, and
no channel repeated in a channel message's line); a channel state is the JSON text
of :mod:`.channels` (the same text Redis stores; "" for none). A :class:`Join`
carries no channel state on the wire: a process without a copy of the channel
reads it from Redis (``{chatroom}:channel:<name>``, written before the JOIN is
published). The sequence number counts the events of one origin process
(:mod:`.sequence`): a receiver drops one it has seen, so a retried write shows
nothing twice. This is wire version 2 (:data:`WIRE_VERSION`).

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
from collections.abc import Callable
from typing import Any

import msgpack  # type: ignore[import-untyped]  # no stubs; only packb/unpackb used

from chatroom.cluster import channels
from chatroom.cluster.wireline import line_in, line_out, msgid_prefix
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

WIRE_VERSION = 2
"""The form of the events on the wire. 0: JSON; 1: msgpack with kinds by name and
lines in full; 2: this module's. Processes of different versions cannot read each
other's events: each process's heartbeat in Redis holds its version, so a process
says so in its log when it sees one of another (docs/scale-out.md, upgrades)."""

KINDS: dict[int, type[Event]] = {
    0: ChannelMessage,
    1: PrivateMessage,
    2: UserUp,
    3: Join,
    4: Leave,
    5: ChannelLine,
    6: Quit,
    7: NickChange,
    8: ProcessGone,
    9: UserState,
    10: ChannelUpdate,
    11: Invite,
    12: ChannelCreated,
    13: Resync,
    14: Kick,
    15: Redaction,
}
"""Each kind of event and its code on the wire (one byte). A code never changes
meaning: a new kind takes a new code."""
_CODES = {cls: code for code, cls in KINDS.items()}

_VERSION_1_KINDS = frozenset(
    {
        "msg",
        "pm",
        "up",
        "join",
        "leave",
        "chan",
        "quit",
        "nick",
        "gone",
        "state",
        "cstate",
        "invite",
        "created",
        "resync",
        "kick",
        "redact",
    }
)
"""Version 1's kinds, by name: recognised only to say what they are."""


class OtherVersion(ValueError):
    """An envelope of another wire version (``str()`` says which), from ``origin``."""

    def __init__(self, origin: str, version: int) -> None:
        super().__init__(f"an event of wire version {version}; this process reads {WIRE_VERSION}")
        self.origin = origin
        self.version = version


_OFF_WIRE: dict[type[Event], tuple[str, ...]] = {Join: ("state",)}
"""Fields that stay home: a JOIN's channel state is read from Redis by whoever needs it."""


_ADDRESS: dict[type[Event], Callable[[dict[str, Any]], str]] = {
    ChannelMessage: lambda fields: fields.get("status", "") + fields["channel"],
    PrivateMessage: lambda fields: fields["target"],
}
"""The events whose line need not repeat their address (the bulk of the traffic),
and that address from the event's fields (a status left off is ""): the text the
line names first, which :mod:`.wireline` then leaves out."""


Convert = Callable[[Any], Any]


def _state_out(state: ChannelState | None) -> str:
    return "" if state is None else channels.dump(state)


def _writer(hint: Any) -> Convert | None:
    """How a field of type ``hint`` goes on the wire (None: as it is; tuples of
    tuples pack as arrays of arrays)."""
    inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
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
        return _no_nil  # the rest is read by decode, which knows the origin and address
    if hint is ChannelState:
        return lambda v: channels.parse(_exact(v, str))
    if hint in (str, int, bool):
        return lambda v: _exact(v, hint)
    raise TypeError(f"no wire form for {hint!r}")  # a new field type: teach it here


def _no_nil(value: Any) -> Any:
    if value is None:
        raise ValueError("nil where a value is needed")
    return value


def _exact(value: Any, kind: type[Any]) -> Any:
    if type(value) is not kind:
        raise ValueError(f"{value!r} is not a {kind.__name__}")
    return value


def _list(value: Any, length: int | None) -> list[Any]:
    if type(value) is not list or (length is not None and len(value) != length):
        raise ValueError(f"{value!r} is not a list of {length or 'any number of'} items")
    return value


class _Field(typing.NamedTuple):
    name: str
    write: Convert | None
    read: Convert
    line: bool  # a Line (or None): the origin and address shape its wire form


class _Schema(typing.NamedTuple):
    fields: list[_Field]  # those that go on the wire, in order
    tail: list[Any]  # the wire forms of the trailing defaults, last field first


_SCHEMAS: dict[type[Event], _Schema] = {}


def _schema(cls: type[Event]) -> _Schema:
    """How ``cls`` goes on the wire (made once: this module's annotations are
    strings under ``from __future__ import annotations``)."""
    schema = _SCHEMAS.get(cls)
    if schema is None:
        hints = typing.get_type_hints(cls)
        skip = _OFF_WIRE.get(cls, ())
        wired = [f for f in dataclasses.fields(cls) if f.name not in skip]
        fields = [
            _Field(
                f.name,
                _writer(hints[f.name]),
                _reader(hints[f.name]),
                Line in (hints[f.name], *typing.get_args(hints[f.name])),
            )
            for f in wired
        ]
        tail = []
        for f, field in zip(reversed(wired), reversed(fields), strict=True):
            if f.default is dataclasses.MISSING:
                break
            default = f.default
            tail.append(default if field.write is None or default is None else field.write(default))
        schema = _SCHEMAS[cls] = _Schema(fields, tail)
    return schema


def encode(origin: str, seq: int, event: Event) -> bytes:
    """The envelope for ``event``, the ``seq``-th event published by process ``origin``."""
    cls = type(event)
    body: list[Any] = [_CODES[cls], origin, seq]
    prefix = msgid_prefix(origin)
    address = _ADDRESS[cls](vars(event)) if cls in _ADDRESS else None
    schema = _schema(cls)
    for name, write, _read, line in schema.fields:
        value = getattr(event, name)
        if line:
            value = None if value is None else line_out(value, prefix, address)
        elif write is not None:
            value = write(value)
        body.append(value)
    # Trailing fields equal to their default are left off: decode gives them back.
    for default in schema.tail:
        last = body[-1]
        if type(last) is not type(default) or last != default:
            break
        body.pop()
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
        cls = KINDS.get(kind) if type(kind) is int else None
    except Exception:  # msgpack's errors, of several kinds
        return None
    return None if cls is None or type(origin) is not str else (cls, origin)


_ARRAY_HEADS = frozenset(range(0x90, 0xA0)) | {0xDC, 0xDD}
"""The first byte of a msgpack array (fixarray, array 16, array 32): every envelope's."""


def split(data: bytes) -> list[bytes]:
    """The envelopes of one publish: one, or several back to back (the writer joins
    a loop turn's envelopes to one pub/sub channel). Each is only skipped over here,
    not read; :class:`ValueError` if ``data`` is not whole msgpack arrays (anything
    else, text say, is refused whole rather than split into values)."""
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(data)
    parts: list[bytes] = []
    start = 0
    try:
        while start < len(data):
            if data[start] not in _ARRAY_HEADS:
                raise ValueError(f"byte {start} does not start an array")
            unpacker.skip()
            end = unpacker.tell()
            parts.append(data[start:end])
            start = end
    except Exception as exc:  # msgpack's OutOfData and others: a cut or bad value
        raise ValueError(f"not chatroom cluster events: {exc!r}") from None
    if not parts:
        raise ValueError("not chatroom cluster events: an empty message")
    return parts


def decode(data: bytes) -> tuple[str, int, Event]:
    """``(origin, seq, event)`` from an envelope; :class:`ValueError` if it is not one
    (:class:`OtherVersion` if it is one of another wire version).

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
    except Exception as exc:  # msgpack raises several kinds: all mean "not ours"
        raise ValueError(f"not a chatroom cluster event: {exc}") from None
    if type(origin) is not str or type(seq) is not int:
        raise ValueError("not a chatroom cluster event: bad origin or sequence number")
    if type(kind) is str and kind in _VERSION_1_KINDS:
        raise OtherVersion(origin, 1)
    try:
        cls = KINDS[_exact(kind, int)]
        fields: dict[str, Any] = {}
        lines = []  # read last: a message's line needs its address, from the fields
        for field, value in zip(_schema(cls).fields, values, strict=False):
            if field.line and value is not None:
                lines.append((field.name, value))
            else:
                fields[field.name] = field.read(value)
        if lines:
            address = _ADDRESS[cls](fields) if cls in _ADDRESS else None
            prefix = msgid_prefix(origin)
            for name, value in lines:
                fields[name] = line_in(value, prefix, address)
        event = cls(**fields)
    except Exception as exc:  # a KeyError, a TypeError for a missing field: all "not ours"
        raise ValueError(f"not a chatroom cluster event: {exc}") from None
    state_line = event.line if isinstance(event, UserState) else None
    if state_line is not None and state_line.command not in USER_STATE_COMMANDS:
        raise ValueError(f"not a chatroom cluster event: a {state_line.command} state line")
    return origin, seq, event
