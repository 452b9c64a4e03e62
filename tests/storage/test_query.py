"""chathistory semantics in isolation, over a tiny list-backed HistoryIndex."""

from __future__ import annotations

import pytest

from chatroom.storage import (
    Around,
    Between,
    HistoryQuery,
    Latest,
    MessageKind,
    MsgidAnchor,
    StoredMessage,
    TargetActivity,
    TimeAnchor,
    UnknownMessageError,
)
from chatroom.storage.base import EVENT_KINDS
from chatroom.storage.query import (
    KEY_MAX,
    KEY_MIN,
    Key,
    execute,
    execute_async,
    find_targets,
    find_targets_async,
)
from support.history import at, event, msg

TEXT = (MessageKind.PRIVMSG, MessageKind.NOTICE)


class ListIndex:
    """The HistoryIndex primitives over a sorted list: the simplest possible backend."""

    def __init__(self, messages: list[StoredMessage]) -> None:
        self.rows = sorted(((m.time_ms, seq), m) for seq, m in enumerate(messages, 1))

    def key_of(self, target: str, msgid: str) -> Key | None:
        return next((k for k, m in self.rows if m.target == target and m.msgid == msgid), None)

    def scan(
        self, target: str, lo: Key, hi: Key, limit: int, newest_first: bool, events: bool
    ) -> list[StoredMessage]:
        found = [
            m
            for k, m in self.rows
            if m.target == target and lo < k < hi and (events or m.kind in TEXT)
        ]
        return found[::-1][:limit] if newest_first else found[:limit]

    def latest_time(self, target: str, lo_ms: int, hi_ms: int) -> int | None:
        times = [
            k[0]
            for k, m in self.rows
            if m.target == target and lo_ms < k[0] < hi_ms and m.kind not in EVENT_KINDS
        ]
        return max(times, default=None)

    def dm_targets(self, nick: str) -> list[str]:
        return sorted({m.target for _, m in self.rows if nick in m.target.split(",")})


MESSAGES = [msg("#c", ms, f"m{i}") for i, ms in enumerate([0, 10, 20, 30, 40])]
INDEX = ListIndex(MESSAGES)


def texts(found: list[StoredMessage]) -> list[str]:
    return [m.text for m in found]


def test_keys_bound_everything() -> None:
    assert KEY_MIN < (MESSAGES[0].time_ms, 1) < KEY_MAX


def test_limit_zero_returns_nothing_but_still_checks_the_anchor() -> None:
    assert execute(INDEX, Latest("#c", 0)) == []
    with pytest.raises(UnknownMessageError):
        execute(INDEX, Latest("#c", 0, MsgidAnchor("missing")))


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (1, ["m2"]),
        (2, ["m1", "m2"]),
        (3, ["m1", "m2", "m3"]),
        (5, ["m0", "m1", "m2", "m3", "m4"]),
        (9, ["m0", "m1", "m2", "m3", "m4"]),
    ],
)
def test_around_splits_half_before_the_anchor(limit: int, expected: list[str]) -> None:
    assert texts(execute(INDEX, Around("#c", MsgidAnchor(MESSAGES[2].msgid), limit))) == expected


def test_around_a_timestamp_between_messages() -> None:
    assert texts(execute(INDEX, Around("#c", TimeAnchor(at(25)), 2))) == ["m2", "m3"]


def test_between_equal_msgids_is_empty() -> None:
    anchor = MsgidAnchor(MESSAGES[1].msgid)
    assert execute(INDEX, Between("#c", anchor, anchor, 10)) == []


def test_find_targets_orders_by_latest_time_then_name() -> None:
    index = ListIndex([msg("#b", 5), msg("#a", 5), msg("x,y", 7), msg("#c", 1)])
    found = find_targets(index, at(0), at(100), 10, ["#a", "#b", "#c"], "x")
    assert found == [
        TargetActivity("#c", at(1)),
        TargetActivity("#a", at(5)),
        TargetActivity("#b", at(5)),
        TargetActivity("x,y", at(7)),
    ]
    with pytest.raises(ValueError):
        find_targets(index, at(0), at(100), -1, [], None)


class AsyncListIndex:
    """The same primitives as coroutines: an AsyncHistoryIndex, as the PostgreSQL backend."""

    def __init__(self, index: ListIndex) -> None:
        self.index = index
        self.steps = 0

    async def key_of(self, target: str, msgid: str) -> Key | None:
        self.steps += 1
        return self.index.key_of(target, msgid)

    async def scan(
        self, target: str, lo: Key, hi: Key, limit: int, newest_first: bool, events: bool
    ) -> list[StoredMessage]:
        self.steps += 1
        return self.index.scan(target, lo, hi, limit, newest_first, events)

    async def latest_time(self, target: str, lo_ms: int, hi_ms: int) -> int | None:
        self.steps += 1
        return self.index.latest_time(target, lo_ms, hi_ms)

    async def dm_targets(self, nick: str) -> list[str]:
        self.steps += 1
        return self.index.dm_targets(nick)


@pytest.mark.parametrize(
    "query",
    [
        Latest("#c", 3),
        Latest("#c", 3, MsgidAnchor(MESSAGES[1].msgid)),
        Around("#c", MsgidAnchor(MESSAGES[2].msgid), 3),
        Around("#c", TimeAnchor(at(25)), 4),
        Between("#c", MsgidAnchor(MESSAGES[4].msgid), TimeAnchor(at(5)), 2),
    ],
)
async def test_the_async_driver_runs_the_same_plan(query: HistoryQuery) -> None:
    index = AsyncListIndex(INDEX)
    assert await execute_async(index, query) == execute(INDEX, query)
    assert index.steps >= 1


async def test_the_async_driver_raises_like_the_sync_one() -> None:
    with pytest.raises(UnknownMessageError):
        await execute_async(AsyncListIndex(INDEX), Latest("#c", 0, MsgidAnchor("missing")))
    index = ListIndex([msg("#b", 5), msg("x,y", 7)])
    found = await find_targets_async(AsyncListIndex(index), at(0), at(100), 10, ["#b"], "x")
    assert found == find_targets(index, at(0), at(100), 10, ["#b"], "x")


def test_a_flood_of_events_neither_counts_nor_pushes_messages_out() -> None:
    # m0, 150 reactions and joins, m1, m2: a page of three with events holds the three
    # messages in order, and as many of the others as are allowed to ride along.
    riders = [
        msg(ms=1 + i, text="", kind=MessageKind.TAGMSG)
        if i % 2
        else event(MessageKind.JOIN, ("#chan",), ms=1 + i)
        for i in range(150)
    ]
    m0, m1, m2 = msg(ms=0, text="m0"), msg(ms=500, text="m1"), msg(ms=600, text="m2")
    index = ListIndex([m0, *riders, m1, m2])
    found = execute(index, Latest("#chan", 3, events=True))
    assert [m.text for m in found if m.kind in TEXT] == ["m0", "m1", "m2"]
    kept = len(found) - 3  # about _riders(3), 100: the newest of the 150
    assert 100 <= kept <= 101 and found[0] is m0 and found[1:-2] == riders[-kept:]
    assert [m.text for m in execute(index, Latest("#chan", 3))] == ["m0", "m1", "m2"]
