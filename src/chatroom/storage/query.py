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

The semantics are written once, sans-I/O (like h11): :func:`plan_query` and
:func:`plan_targets` are generators that *yield* the primitive lookups they need
(:class:`KeyOf`, :class:`Scan`, :class:`LatestTime`, :class:`DmTargets`) and are sent the
answers. :func:`execute`/:func:`find_targets` drive a plan over a synchronous
:class:`HistoryIndex` (memory, SQLite on its reader thread); :func:`execute_async`/
:func:`find_targets_async` drive the same plan over an :class:`AsyncHistoryIndex`
(PostgreSQL through asyncpg). No backend re-implements a subcommand.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

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

__all__ = [
    "KEY_MAX",
    "KEY_MIN",
    "SEQ_MAX",
    "AsyncHistoryIndex",
    "DmTargets",
    "HistoryIndex",
    "Key",
    "KeyOf",
    "LatestTime",
    "Plan",
    "QueryShortcuts",
    "Scan",
    "Step",
    "execute",
    "execute_async",
    "find_targets",
    "find_targets_async",
    "plan_query",
    "plan_targets",
    "run_plan",
    "run_plan_async",
]

T = TypeVar("T")

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
        self, target: str, lo: Key, hi: Key, limit: int, newest_first: bool, events: bool
    ) -> list[StoredMessage]:
        """Return up to *limit* messages of *target* with ``lo < key < hi``.

        Oldest first, taking those nearest *lo*; or, with *newest_first*, newest first,
        taking those nearest *hi*. Channel events (``EVENT_KINDS``) only with *events*.
        """
        ...

    def latest_time(self, target: str, lo_ms: int, hi_ms: int) -> int | None:
        """Return the greatest message time of *target* with ``lo_ms < time < hi_ms``
        (channel events do not count: TARGETS lists conversations by their messages)."""
        ...

    def dm_targets(self, nick: str) -> list[str]:
        """Return the keys of every private conversation *nick* has history in."""
        ...


class AsyncHistoryIndex(Protocol):
    """The same primitives as :class:`HistoryIndex`, as coroutines (for async drivers)."""

    async def key_of(self, target: str, msgid: str) -> Key | None:
        """See :meth:`HistoryIndex.key_of`."""
        ...

    async def scan(
        self, target: str, lo: Key, hi: Key, limit: int, newest_first: bool, events: bool
    ) -> list[StoredMessage]:
        """See :meth:`HistoryIndex.scan`."""
        ...

    async def latest_time(self, target: str, lo_ms: int, hi_ms: int) -> int | None:
        """See :meth:`HistoryIndex.latest_time`."""
        ...

    async def dm_targets(self, nick: str) -> list[str]:
        """See :meth:`HistoryIndex.dm_targets`."""
        ...


class QueryShortcuts:
    """Mixin giving a backend the per-subcommand shortcuts of :class:`HistoryStore`.

    The backend implements ``query``; these only build the query object.
    """

    async def query(self, query: HistoryQuery) -> list[StoredMessage]:
        raise NotImplementedError  # pragma: no cover

    async def latest(
        self, target: str, limit: int, after: Anchor | None = None
    ) -> list[StoredMessage]:
        """Shortcut for ``query(Latest(target, limit, after))``."""
        return await self.query(Latest(target, limit, after))

    async def before(self, target: str, anchor: Anchor, limit: int) -> list[StoredMessage]:
        """Shortcut for ``query(Before(target, anchor, limit))``."""
        return await self.query(Before(target, anchor, limit))

    async def after(self, target: str, anchor: Anchor, limit: int) -> list[StoredMessage]:
        """Shortcut for ``query(After(target, anchor, limit))``."""
        return await self.query(After(target, anchor, limit))

    async def around(self, target: str, anchor: Anchor, limit: int) -> list[StoredMessage]:
        """Shortcut for ``query(Around(target, anchor, limit))``."""
        return await self.query(Around(target, anchor, limit))

    async def between(
        self, target: str, start: Anchor, end: Anchor, limit: int
    ) -> list[StoredMessage]:
        """Shortcut for ``query(Between(target, start, end, limit))``."""
        return await self.query(Between(target, start, end, limit))


# --- the steps a plan yields ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyOf:
    """Ask for :meth:`HistoryIndex.key_of`; the answer is a ``Key`` or ``None``."""

    target: str
    msgid: str


@dataclass(frozen=True, slots=True)
class Scan:
    """Ask for :meth:`HistoryIndex.scan`; the answer is a list of messages."""

    target: str
    lo: Key
    hi: Key
    limit: int
    newest_first: bool
    events: bool = False


@dataclass(frozen=True, slots=True)
class LatestTime:
    """Ask for :meth:`HistoryIndex.latest_time`; the answer is an ``int`` or ``None``."""

    target: str
    lo_ms: int
    hi_ms: int


@dataclass(frozen=True, slots=True)
class DmTargets:
    """Ask for :meth:`HistoryIndex.dm_targets`; the answer is a list of keys."""

    nick: str


Step = KeyOf | Scan | LatestTime | DmTargets
Plan = Generator[Step, object, T]
"""A sans-I/O computation: yields steps, is sent each step's answer, returns the result."""


def _key_of(target: str, msgid: str) -> Plan[Key | None]:
    return cast("Key | None", (yield KeyOf(target, msgid)))


def _scan(
    target: str, lo: Key, hi: Key, limit: int, newest_first: bool, events: bool
) -> Plan[list[StoredMessage]]:
    found = yield Scan(target, lo, hi, limit, newest_first, events)
    return cast("list[StoredMessage]", found)


def _latest_time(target: str, lo_ms: int, hi_ms: int) -> Plan[int | None]:
    return cast("int | None", (yield LatestTime(target, lo_ms, hi_ms)))


def _dm_targets(nick: str) -> Plan[list[str]]:
    return cast("list[str]", (yield DmTargets(nick)))


def _riders(limit: int) -> int:
    """How many TAGMSGs and channel events may ride along with a page of *limit*
    messages: enough for several per message, bounded so a flood of joins cannot make
    one reply unbounded."""
    return max(4 * limit, 100)


def _page(
    target: str, lo: Key, hi: Key, limit: int, newest_first: bool, events: bool
) -> Plan[list[StoredMessage]]:
    """Up to *limit* messages (PRIVMSG, NOTICE) in ``(lo, hi)``, in scan order.

    With *events* (draft/event-playback) the TAGMSGs and channel events of the span the
    page covers ride along without counting towards *limit*, as the message-redaction
    spec allows for REDACT ("not counting toward message limits"): a page of 50 is 50
    messages however many people joined, left or reacted meanwhile. The span runs from
    the scan's starting bound to the page's farthest message (to the other bound when the
    page is not full), so consecutive pages share no line and miss none.
    """
    page = yield from _scan(target, lo, hi, limit, newest_first, False)
    if not events or limit <= 0:
        return page
    if len(page) == limit:
        far = yield from _key_of(target, page[-1].msgid)
        if far is not None:
            lo, hi = (far, hi) if newest_first else (lo, far)
    return (yield from _ride_along(target, page, lo, hi, newest_first, limit))


def _ride_along(
    target: str, page: list[StoredMessage], lo: Key, hi: Key, newest_first: bool, limit: int
) -> Plan[list[StoredMessage]]:
    """*page* (in scan order) with everything else of ``(lo, hi)`` among it, up to
    :func:`_riders` more lines. The scan returns a prefix of the span in scan order; the
    page's messages beyond that prefix (the far one, excluded by the bound, or those
    after a flood of events) follow it in the same order."""
    rows = yield from _scan(target, lo, hi, len(page) + _riders(limit), newest_first, True)
    seen = {m.msgid for m in rows}
    return rows + [m for m in page if m.msgid not in seen]


# --- the semantics ------------------------------------------------------------------------------


def _bounds(target: str, anchor: Anchor) -> Plan[tuple[Key, Key]]:
    """Return (key as a lower bound, key as an upper bound) for *anchor* in *target*."""
    if isinstance(anchor, MsgidAnchor):
        key = yield from _key_of(target, anchor.msgid)
        if key is None:
            raise UnknownMessageError(target, anchor.msgid)
        return key, key
    ms = to_ms(anchor.time)
    return (ms, SEQ_MAX), (ms, 0)


def plan_query(query: HistoryQuery) -> Plan[list[StoredMessage]]:
    """The plan of *query*: its messages oldest first.

    Raises :class:`UnknownMessageError` when a msgid anchor is not in the target's history
    (checked even when the limit is 0, so the reply does not depend on the limit).
    """
    target = query.target
    match query:
        case Latest(after=None):
            # LATEST *: "the most recent messages", no restriction.
            found = yield from _page(target, KEY_MIN, KEY_MAX, query.limit, True, query.events)
            return found[::-1]
        case Latest(after=anchor) if anchor is not None:
            # LATEST with a selector: "restricted to those sent after and excluding" it.
            lo, _ = yield from _bounds(target, anchor)
            found = yield from _page(target, lo, KEY_MAX, query.limit, True, query.events)
            return found[::-1]
        case Before(anchor=anchor):
            _, hi = yield from _bounds(target, anchor)
            found = yield from _page(target, KEY_MIN, hi, query.limit, True, query.events)
            return found[::-1]
        case After(anchor=anchor):
            lo, _ = yield from _bounds(target, anchor)
            return (yield from _page(target, lo, KEY_MAX, query.limit, False, query.events))
        case Around():
            return (yield from _around(query))
        case Between(start=start, end=end):
            start_lo, start_hi = yield from _bounds(target, start)
            end_lo, end_hi = yield from _bounds(target, end)
            # "counted starting from and excluding the first message selector, while
            # finishing on and excluding the second. This may be forwards or backwards."
            if start_hi <= end_hi:
                return (
                    yield from _page(target, start_lo, end_hi, query.limit, False, query.events)
                )
            found = yield from _page(target, end_lo, start_hi, query.limit, True, query.events)
            return found[::-1]
    raise TypeError(f"not a history query: {query!r}")  # pragma: no cover


def _around(query: Around) -> Plan[list[StoredMessage]]:
    # The spec leaves the split to us ("The implementation may decide how many messages to
    # include before and after"). We put limit // 2 before the pivot and the rest from the
    # pivot on, the anchor message included, and let either side fill what the other lacks.
    limit = query.limit
    if isinstance(query.anchor, MsgidAnchor):
        pivot_hi, _ = yield from _bounds(query.target, query.anchor)
        pivot_lo = (pivot_hi[0], pivot_hi[1] - 1)  # just below the anchor: it is included
    else:
        ms = to_ms(query.anchor.time)
        pivot_hi = pivot_lo = (ms, 0)  # below every message at ms: those count as "after"
    before = yield from _scan(query.target, KEY_MIN, pivot_hi, limit, True, False)
    after = yield from _scan(query.target, pivot_lo, KEY_MAX, limit, False, False)
    take_before = min(len(before), max(limit // 2, limit - len(after)))
    take_after = min(len(after), limit - take_before)
    page = before[:take_before][::-1] + after[:take_after]
    if not query.events or not page:
        return page
    # What happened between the first and the last message rides along.
    first = yield from _key_of(query.target, page[0].msgid)
    last = yield from _key_of(query.target, page[-1].msgid)
    if first is None or last is None:
        return page  # purged meanwhile
    below_first = (first[0], first[1] - 1)
    return (yield from _ride_along(query.target, page, below_first, last, False, limit))


def plan_targets(
    start: datetime,
    end: datetime,
    limit: int,
    channels: Iterable[str],
    nick: str | None,
) -> Plan[list[TargetActivity]]:
    """The plan of ``CHATHISTORY TARGETS``: see :meth:`HistoryStore.targets`.

    Raises ``ValueError`` for a negative *limit* before yielding anything.
    """
    if limit < 0:
        raise ValueError(f"a history limit cannot be negative: {limit}")
    return _targets(start, end, limit, set(channels), nick)


def _targets(
    start: datetime, end: datetime, limit: int, candidates: set[str], nick: str | None
) -> Plan[list[TargetActivity]]:
    start_ms, end_ms = to_ms(start), to_ms(end)
    lo_ms, hi_ms = min(start_ms, end_ms), max(start_ms, end_ms)
    if nick is not None:
        candidates.update((yield from _dm_targets(nick)))
    found: list[tuple[int, str]] = []
    for target in sorted(candidates):
        latest = yield from _latest_time(target, lo_ms, hi_ms)
        if latest is not None:
            found.append((latest, target))
    found.sort()
    # As with BETWEEN, counting starts at the first timestamp, forwards or backwards.
    chosen = found[:limit] if start_ms <= end_ms else found[len(found) - limit :]
    if limit == 0:
        chosen = []
    return [TargetActivity(target, from_ms(ms)) for ms, target in chosen]


# --- drivers ------------------------------------------------------------------------------------


def _answer(index: HistoryIndex, step: Step) -> object:
    match step:
        case KeyOf(target, msgid):
            return index.key_of(target, msgid)
        case Scan(target, lo, hi, limit, newest_first, events):
            return index.scan(target, lo, hi, limit, newest_first, events)
        case LatestTime(target, lo_ms, hi_ms):
            return index.latest_time(target, lo_ms, hi_ms)
        case DmTargets(nick):
            return index.dm_targets(nick)
    raise TypeError(f"not a history step: {step!r}")  # pragma: no cover


async def _answer_async(index: AsyncHistoryIndex, step: Step) -> object:
    match step:
        case KeyOf(target, msgid):
            return await index.key_of(target, msgid)
        case Scan(target, lo, hi, limit, newest_first, events):
            return await index.scan(target, lo, hi, limit, newest_first, events)
        case LatestTime(target, lo_ms, hi_ms):
            return await index.latest_time(target, lo_ms, hi_ms)
        case DmTargets(nick):
            return await index.dm_targets(nick)
    raise TypeError(f"not a history step: {step!r}")  # pragma: no cover


def run_plan(index: HistoryIndex, plan: Plan[T]) -> T:
    """Drive *plan* to its end over a synchronous *index*; return its result.

    Errors raised by the plan (``UnknownMessageError``) or by the index propagate.
    """
    try:
        step = next(plan)
        while True:
            step = plan.send(_answer(index, step))
    except StopIteration as done:
        result: Any = done.value
        return cast(T, result)
    finally:
        plan.close()


async def run_plan_async(index: AsyncHistoryIndex, plan: Plan[T]) -> T:
    """Drive *plan* to its end over an asynchronous *index*; return its result."""
    try:
        step = next(plan)
        while True:
            step = plan.send(await _answer_async(index, step))
    except StopIteration as done:
        result: Any = done.value
        return cast(T, result)
    finally:
        plan.close()


def execute(index: HistoryIndex, query: HistoryQuery) -> list[StoredMessage]:
    """Run *query* against *index*; return its messages oldest first (see :func:`plan_query`)."""
    return run_plan(index, plan_query(query))


async def execute_async(index: AsyncHistoryIndex, query: HistoryQuery) -> list[StoredMessage]:
    """:func:`execute` over an :class:`AsyncHistoryIndex`."""
    return await run_plan_async(index, plan_query(query))


def find_targets(
    index: HistoryIndex,
    start: datetime,
    end: datetime,
    limit: int,
    channels: Iterable[str],
    nick: str | None,
) -> list[TargetActivity]:
    """``CHATHISTORY TARGETS``: see :meth:`HistoryStore.targets` for the contract."""
    return run_plan(index, plan_targets(start, end, limit, channels, nick))


async def find_targets_async(
    index: AsyncHistoryIndex,
    start: datetime,
    end: datetime,
    limit: int,
    channels: Iterable[str],
    nick: str | None,
) -> list[TargetActivity]:
    """:func:`find_targets` over an :class:`AsyncHistoryIndex`."""
    return await run_plan_async(index, plan_targets(start, end, limit, channels, nick))
