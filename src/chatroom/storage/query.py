"""CHATHISTORY semantics, written once over a few primitives every backend provides.

IRCv3 chathistory (https://ircv3.net/specs/extensions/chathistory) defines what each
subcommand returns; this module turns a :data:`~chatroom.storage.base.HistoryQuery` into
range scans over a :class:`HistoryIndex`, so the memory and SQLite backends cannot disagree.

Positions are *keys* ``(time_ms, seq)``: the message's millisecond timestamp and the
store-assigned sequence number (always ``>= 1``). This is the "consistent message order …
which determinately orders any two messages (even if they share a timestamp)" the spec asks
for ("Returned message notes"). A timestamp anchor ``T`` becomes one of two keys depending on
the side it bounds, which makes every bound exclusive as the spec says ("before and
excluding", "after and excluding"):

* as a lower bound, ``(T, SEQ_MAX)``: only messages with ``time > T`` lie above it;
* as an upper bound, ``(T, 0)``: only messages with ``time < T`` lie below it.

A msgid anchor is simply that message's key, on either side.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from .base import (
    After,
    Anchor,
    Around,
    Before,
    Between,
    HistoryQuery,
    Latest,
    MsgidAnchor,
    StoredMessage,
    TargetActivity,
    from_ms,
    to_ms,
)
from .errors import UnknownMessageError

__all__ = ["KEY_MAX", "KEY_MIN", "SEQ_MAX", "HistoryIndex", "Key", "execute", "find_targets"]

Key = tuple[int, int]
"""A position in a conversation: ``(time_ms, seq)``."""

SEQ_MAX = 2**63 - 1
KEY_MIN: Key = (-(2**63), 0)
KEY_MAX: Key = (2**63 - 1, SEQ_MAX)


class HistoryIndex(Protocol):
    """The synchronous primitives a backend implements; :func:`execute` does the rest.

    They run wherever the backend likes (the SQLite backend calls them on its reader thread).
    """

    def key_of(self, target: str, msgid: str) -> Key | None:
        """Return the key of message *msgid* if it is in *target*'s history, else ``None``."""
        ...

    def scan(
        self, target: str, lo: Key, hi: Key, limit: int, newest_first: bool
    ) -> list[StoredMessage]:
        """Return up to *limit* messages of *target* with ``lo < key < hi``.

        Oldest first, taking those nearest *lo*; or, with *newest_first*, newest first,
        taking those nearest *hi*.
        """
        ...

    def latest_time(self, target: str, lo_ms: int, hi_ms: int) -> int | None:
        """Return the greatest message time of *target* with ``lo_ms < time < hi_ms``."""
        ...

    def dm_targets(self, nick: str) -> list[str]:
        """Return the keys of every private conversation *nick* has history in."""
        ...


def _bounds(index: HistoryIndex, target: str, anchor: Anchor) -> tuple[Key, Key]:
    """Return (key as a lower bound, key as an upper bound) for *anchor* in *target*."""
    if isinstance(anchor, MsgidAnchor):
        key = index.key_of(target, anchor.msgid)
        if key is None:
            raise UnknownMessageError(target, anchor.msgid)
        return key, key
    ms = to_ms(anchor.time)
    return (ms, SEQ_MAX), (ms, 0)


def execute(index: HistoryIndex, query: HistoryQuery) -> list[StoredMessage]:
    """Run *query* against *index*; return its messages oldest first.

    Raises :class:`UnknownMessageError` when a msgid anchor is not in the target's history
    (checked even when the limit is 0, so the reply does not depend on the limit).
    """
    target = query.target
    match query:
        case Latest(after=None):
            # LATEST *: "the most recent messages", no restriction.
            return index.scan(target, KEY_MIN, KEY_MAX, query.limit, True)[::-1]
        case Latest(after=anchor) if anchor is not None:
            # LATEST with a selector: "restricted to those sent after and excluding" it.
            lo, _ = _bounds(index, target, anchor)
            return index.scan(target, lo, KEY_MAX, query.limit, True)[::-1]
        case Before(anchor=anchor):
            _, hi = _bounds(index, target, anchor)
            return index.scan(target, KEY_MIN, hi, query.limit, True)[::-1]
        case After(anchor=anchor):
            lo, _ = _bounds(index, target, anchor)
            return index.scan(target, lo, KEY_MAX, query.limit, False)
        case Around():
            return _around(index, query)
        case Between(start=start, end=end):
            start_lo, start_hi = _bounds(index, target, start)
            end_lo, end_hi = _bounds(index, target, end)
            # "counted starting from and excluding the first message selector, while
            # finishing on and excluding the second. This may be forwards or backwards."
            if start_hi <= end_hi:
                return index.scan(target, start_lo, end_hi, query.limit, False)
            return index.scan(target, end_lo, start_hi, query.limit, True)[::-1]
    raise TypeError(f"not a history query: {query!r}")  # pragma: no cover


def _around(index: HistoryIndex, query: Around) -> list[StoredMessage]:
    # The spec leaves the split to us ("The implementation may decide how many messages to
    # include before and after"). We put limit // 2 before the pivot and the rest from the
    # pivot on, the anchor message included, and let either side fill what the other lacks.
    limit = query.limit
    if isinstance(query.anchor, MsgidAnchor):
        pivot_hi, _ = _bounds(index, query.target, query.anchor)
        pivot_lo = (pivot_hi[0], pivot_hi[1] - 1)  # just below the anchor: it is included
    else:
        ms = to_ms(query.anchor.time)
        pivot_hi = pivot_lo = (ms, 0)  # below every message at ms: those count as "after"
    before = index.scan(query.target, KEY_MIN, pivot_hi, limit, True)
    after = index.scan(query.target, pivot_lo, KEY_MAX, limit, False)
    take_before = min(len(before), max(limit // 2, limit - len(after)))
    take_after = min(len(after), limit - take_before)
    return before[:take_before][::-1] + after[:take_after]


def find_targets(
    index: HistoryIndex,
    start: datetime,
    end: datetime,
    limit: int,
    channels: Iterable[str],
    nick: str | None,
) -> list[TargetActivity]:
    """``CHATHISTORY TARGETS``: see :meth:`HistoryStore.targets` for the contract."""
    if limit < 0:
        raise ValueError(f"a history limit cannot be negative: {limit}")
    start_ms, end_ms = to_ms(start), to_ms(end)
    lo_ms, hi_ms = min(start_ms, end_ms), max(start_ms, end_ms)
    candidates = set(channels)
    if nick is not None:
        candidates.update(index.dm_targets(nick))
    found: list[tuple[int, str]] = []
    for target in candidates:
        latest = index.latest_time(target, lo_ms, hi_ms)
        if latest is not None:
            found.append((latest, target))
    found.sort()
    # As with BETWEEN, counting starts at the first timestamp, forwards or backwards.
    chosen = found[:limit] if start_ms <= end_ms else found[len(found) - limit :]
    if limit == 0:
        chosen = []
    return [TargetActivity(target, from_ms(ms)) for ms, target in chosen]
