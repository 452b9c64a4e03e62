"""The wire form of one IRC :class:`Line` inside a cluster event (:mod:`.events`).

Pure: no I/O. A line travels as a msgpack array of up to six items, trailing ones
left off when they hold their default::

    [command, [params], source, time, msgid, {other tags}]

* ``command``: a small integer for the commands that make up the traffic
  (:data:`COMMANDS`: PRIVMSG 0, NOTICE 1, TAGMSG 2), any other as its text.
* ``params``: the parameters; the first may be nil when it is the *address* the
  event already carries (a channel message's ``status + channel``, a private
  message's target), so a chat message does not name its channel twice. The
  sender leaves it out only when it is exactly that text: the receiver rebuilds
  exactly the sender's line.
* ``source``: ``nick!user@host`` or nil. Never shortened: a receiver may not know
  the user yet (its UserUp may travel on another pub/sub channel).
* ``time``: the server-time tag as milliseconds since the epoch (nil: none, or
  one of another form, which then stays among the other tags).
* ``msgid``: a msgid this server made, ``<msgid prefix><counter in hex>``, whose
  prefix is the random part of the origin's process id (the bridge makes it so),
  travels as the integer counter; any other msgid as its text; nil for none.
* ``{other tags}``: the rest, in their order.

``time`` and ``msgid`` leave the tags only where they lead them in that order (as
the server writes its tags), so the rebuilt tags have the sender's order too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from chatroom.protocol.line import Line

COMMANDS = ("PRIVMSG", "NOTICE", "TAGMSG")
"""The commands that travel as their index: the messages that are the traffic."""
_COMMAND_CODES = {command: code for code, command in enumerate(COMMANDS)}

_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_EPOCH = date(1970, 1, 1)  # the stamps are UTC
_DAY_MS = 86_400_000
_MAX_MS = 253_402_300_800_000  # year 10000: beyond, no stamp to make

_COUNTER = re.compile(r"[1-9a-f][0-9a-f]{0,14}")
"""A counter as ``new_msgid`` writes it (hex, no leading zero; 15 digits at most,
so it fits msgpack's integers with room to spare)."""
_MAX_COUNTER = 16**15


@functools.lru_cache(maxsize=256)
def msgid_prefix(origin: str) -> str:
    """The msgid prefix of process ``origin``: the random part of its id
    (``host:pid:<prefix>``; the whole id if it has no colon)."""
    return origin.rpartition(":")[2]


def line_out(line: Line, prefix: str, address: str | None) -> list[Any]:
    """``line`` as the wire array, for an event from the process whose msgid prefix
    is ``prefix`` and whose address is ``address`` (None: the event has none)."""
    tags = dict(line.tags)
    when = None
    if next(iter(tags), None) == "time":
        when = stamp_ms(tags["time"])
        if when is not None:
            del tags["time"]  # 9 bytes, not 31
    msgid: str | int | None = None
    if next(iter(tags), None) == "msgid":
        msgid = tags.pop("msgid")
        rest = msgid[len(prefix) :]
        if msgid.startswith(prefix) and _COUNTER.fullmatch(rest):
            msgid = int(rest, 16)
    params: list[str | None] = list(line.params)
    if params and address is not None and params[0] == address:
        params[0] = None
    body = [_COMMAND_CODES.get(line.command, line.command), params, line.source, when, msgid, tags]
    while len(body) > 2 and (body[-1] is None or body[-1] == {}):
        body.pop()  # trailing defaults: None, or no tags
    return body


def line_in(value: Any, prefix: str, address: str | None) -> Line:
    """The :class:`Line` of a wire array (see :func:`line_out`); :class:`ValueError`
    if ``value`` is not one, down to each item's type."""
    if type(value) is not list or not 2 <= len(value) <= 6:
        raise ValueError("malformed line")
    command, params, source, when, msgid, tags = value + _NILS[len(value)]
    if type(command) is int and 0 <= command < len(COMMANDS):
        command = COMMANDS[command]
    if type(params) is list and params and params[0] is None and address is not None:
        params[0] = address
    if tags is None:
        tags = {}
    if not (
        type(command) is str
        and type(params) is list
        and _strings(params)
        and (source is None or type(source) is str)
        and (when is None or (type(when) is int and 0 <= when < _MAX_MS))
        and (msgid is None or type(msgid) is str or _is_counter(msgid))
        and type(tags) is dict
        and _strings(tags)
        and _strings(tags.values())
    ):
        raise ValueError("malformed line")
    if when is None and msgid is None:
        return Line(command, tuple(params), source, tags)
    head: dict[str, str] = {}
    if when is not None:
        head["time"] = _stamp_of(when)
    if msgid is not None:
        head["msgid"] = f"{prefix}{msgid:x}" if type(msgid) is int else msgid
    if not head.keys().isdisjoint(tags):
        raise ValueError("malformed line: a tag given twice")
    head.update(tags)
    return Line(command, tuple(params), source, head)


_NILS = [[None] * (6 - n) for n in range(7)]


def _strings(values: Iterable[Any]) -> bool:
    """Whether every item is a ``str`` (``str.join`` checks it in C: this runs for
    every param and tag of every event read)."""
    try:
        "".join(values)
    except TypeError:
        return False
    return True


def _is_counter(value: Any) -> bool:
    return type(value) is int and 0 < value < _MAX_COUNTER


def stamp_ms(stamp: str) -> int | None:
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
