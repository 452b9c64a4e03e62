"""The HistoryStore contract, run against every backend (the ``store`` fixture).

Semantics follow IRCv3 chathistory (https://ircv3.net/specs/extensions/chathistory):
bounds are exclusive, results are chronological, ties on time keep append order.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta, timezone

import pytest

from chatroom.storage import (
    After,
    Around,
    Before,
    Between,
    HistoryStore,
    Latest,
    MessageKind,
    MsgidAnchor,
    OnStored,
    StoreClosedError,
    StoredMessage,
    TargetActivity,
    TimeAnchor,
    UnknownMessageError,
    dm_key,
)
from chatroom.storage.base import EVENT_KINDS
from support.history import T0, at, event, ids, msg, store_all

# Times (ms after T0) of the ten messages of #chan; m3 and m4 share a millisecond.
TIMES = [0, 1000, 2000, 3000, 3000, 5000, 6000, 7000, 8000, 9000]


@pytest.fixture
async def chan(store: HistoryStore) -> list[StoredMessage]:
    """Ten messages in #chan, interleaved with messages of another channel."""
    mine: list[StoredMessage] = []
    everything: list[StoredMessage] = []
    for i, ms in enumerate(TIMES):
        mine.append(msg("#chan", ms, f"m{i}"))
        everything += [mine[-1], msg("#other", ms, f"other {i}")]
    assert all(await store_all(store, everything))
    return mine


def m(ids_: list[StoredMessage], *indexes: int) -> list[str]:
    return [ids_[i].msgid for i in indexes]


# --- append ---------------------------------------------------------------------------------------


async def test_on_stored_runs_later_on_the_loop_thread_in_order(store: HistoryStore) -> None:
    calls: list[tuple[int, bool, threading.Thread]] = []
    messages = [msg(ms=i) for i in range(50)]

    def recorder(i: int) -> OnStored:
        return lambda ok: calls.append((i, ok, threading.current_thread()))

    for i, message in enumerate(messages):
        store.append(message, recorder(i))
    assert calls == []  # never from inside append
    await store.flush()
    assert [(i, ok) for i, ok, _ in calls] == [(i, True) for i in range(50)]
    assert {thread for _, _, thread in calls} == {threading.current_thread()}


async def test_a_working_store_is_writable(store: HistoryStore) -> None:
    assert store.writable
    assert await store_all(store, [msg()]) == [True]
    assert store.writable


async def test_append_without_callback_is_stored(store: HistoryStore) -> None:
    message = msg()
    store.append(message)
    await store.flush()
    assert await store.latest("#chan", 10) == [message]


async def test_a_duplicate_msgid_fails_alone(store: HistoryStore) -> None:
    first, second, third = msg(ms=0), msg(ms=1), msg(ms=2)
    duplicate = msg(ms=3, msgid=second.msgid, text="impostor")
    assert await store_all(store, [first, second, duplicate, third]) == [True, True, False, True]
    assert await store.latest("#chan", 10) == [first, second, third]


async def test_every_field_round_trips(store: HistoryStore) -> None:
    message = msg(
        "#chan",
        5,
        "héllo wörld 🎉 ACTION waves",
        kind=MessageKind.NOTICE,
        source="Nick!~user@host.example",
        target_param="#Chan",
        account="acct",
        tags={"+draft/reply": "abc", "+bare": "", "+semi": "a;b c\\d"},
    )
    tagmsg = msg(ms=6, text="", kind=MessageKind.TAGMSG, tags={"+draft/react": "👍"})
    # A draft/multiline message is one row: its lines joined with line breaks.
    multiline = msg(ms=7, text="Traceback:\n\n  File x, line 1\nend", msgid="multi")
    await store_all(store, [message, tagmsg, multiline])
    everything = await store.query(Latest("#chan", 10, events=True))
    assert everything == [message, tagmsg, multiline]
    # Without event-playback a page is what such a client may be sent: no TAGMSG.
    assert await store.latest("#chan", 10) == [message, multiline]
    assert await store.latest("#chan", 1) == [multiline]
    assert await store.before("#chan", MsgidAnchor("multi"), 1) == [message]


async def test_times_are_kept_in_utc_to_the_millisecond(store: HistoryStore) -> None:
    local = timezone(timedelta(hours=5, minutes=30))
    message = msg(time=T0.astimezone(local).replace(microsecond=123456))
    await store_all(store, [message])
    (back,) = await store.latest("#chan", 1)
    assert back.time == T0.replace(microsecond=123000)
    assert back.time.tzinfo is not None and back.time.utcoffset() == timedelta(0)


# --- LATEST ---------------------------------------------------------------------------------------


async def test_latest_star_returns_the_newest_in_order(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    # Spec example "Requesting the latest conversation upon joining a channel".
    assert ids(await store.latest("#chan", 50)) == ids(chan)
    assert ids(await store.latest("#chan", 3)) == m(chan, 7, 8, 9)
    assert await store.latest("#chan", 0) == []
    assert await store.latest("#nobody", 5) == []


async def test_latest_after_excludes_the_anchor(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    assert ids(await store.latest("#chan", 50, MsgidAnchor(chan[6].msgid))) == m(chan, 7, 8, 9)
    assert ids(await store.latest("#chan", 2, MsgidAnchor(chan[2].msgid))) == m(chan, 8, 9)
    assert ids(await store.latest("#chan", 50, TimeAnchor(at(3000)))) == m(chan, 5, 6, 7, 8, 9)
    assert await store.latest("#chan", 50, MsgidAnchor(chan[9].msgid)) == []


async def test_query_objects_equal_the_shortcuts(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    anchor = MsgidAnchor(chan[4].msgid)
    assert await store.query(Latest("#chan", 4)) == await store.latest("#chan", 4)
    assert await store.query(After("#chan", anchor, 2)) == await store.after("#chan", anchor, 2)


# --- BEFORE / AFTER -------------------------------------------------------------------------------


async def test_before_takes_the_nearest_and_excludes_the_anchor(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    assert ids(await store.before("#chan", MsgidAnchor(chan[6].msgid), 3)) == m(chan, 3, 4, 5)
    assert ids(await store.before("#chan", MsgidAnchor(chan[2].msgid), 50)) == m(chan, 0, 1)
    assert await store.before("#chan", MsgidAnchor(chan[0].msgid), 50) == []


async def test_before_a_timestamp_excludes_messages_at_that_time(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    assert ids(await store.before("#chan", TimeAnchor(at(3000)), 50)) == m(chan, 0, 1, 2)
    assert ids(await store.before("#chan", TimeAnchor(at(3001)), 2)) == m(chan, 3, 4)


async def test_after_takes_the_nearest_and_excludes_the_anchor(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    assert ids(await store.after("#chan", MsgidAnchor(chan[1].msgid), 3)) == m(chan, 2, 3, 4)
    assert ids(await store.after("#chan", TimeAnchor(at(3000)), 2)) == m(chan, 5, 6)
    assert ids(await store.after("#chan", TimeAnchor(at(2999)), 2)) == m(chan, 3, 4)
    assert await store.after("#chan", MsgidAnchor(chan[9].msgid), 5) == []


async def test_messages_sharing_a_millisecond_keep_append_order(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    # m3 and m4 share a timestamp: msgid pagination still splits them deterministically.
    assert ids(await store.before("#chan", MsgidAnchor(chan[4].msgid), 1)) == m(chan, 3)
    assert ids(await store.after("#chan", MsgidAnchor(chan[3].msgid), 1)) == m(chan, 4)


async def test_paging_backwards_visits_every_message_once(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    # The spec's client pseudocode: LATEST *, then BEFORE the earliest msgid, until empty.
    seen: list[StoredMessage] = []
    page = await store.latest("#chan", 3)
    while page:
        seen = page + seen
        page = await store.before("#chan", MsgidAnchor(page[0].msgid), 3)
    assert ids(seen) == ids(chan)


async def test_out_of_order_times_are_returned_by_time(store: HistoryStore) -> None:
    late, early = msg(ms=5000, text="late"), msg(ms=1000, text="early (clock stepped back)")
    await store_all(store, [late, early])
    assert await store.latest("#chan", 10) == [early, late]
    assert await store.after("#chan", MsgidAnchor(early.msgid), 10) == [late]


# --- AROUND ---------------------------------------------------------------------------------------


async def test_around_a_msgid_includes_it_in_the_middle(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    anchor = MsgidAnchor(chan[6].msgid)
    assert ids(await store.around("#chan", anchor, 1)) == m(chan, 6)
    assert ids(await store.around("#chan", anchor, 3)) == m(chan, 5, 6, 7)
    assert ids(await store.around("#chan", anchor, 4)) == m(chan, 4, 5, 6, 7)


async def test_around_fills_from_the_other_side_at_the_edges(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    assert ids(await store.around("#chan", MsgidAnchor(chan[0].msgid), 3)) == m(chan, 0, 1, 2)
    assert ids(await store.around("#chan", MsgidAnchor(chan[9].msgid), 3)) == m(chan, 7, 8, 9)
    assert ids(await store.around("#chan", MsgidAnchor(chan[5].msgid), 50)) == ids(chan)


async def test_around_a_timestamp(store: HistoryStore, chan: list[StoredMessage]) -> None:
    assert ids(await store.around("#chan", TimeAnchor(at(3000)), 4)) == m(chan, 1, 2, 3, 4)
    assert ids(await store.around("#chan", TimeAnchor(at(4000)), 2)) == m(chan, 4, 5)


# --- BETWEEN --------------------------------------------------------------------------------------


async def test_between_forwards_excludes_both_ends(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    start, end = MsgidAnchor(chan[2].msgid), MsgidAnchor(chan[7].msgid)
    assert ids(await store.between("#chan", start, end, 50)) == m(chan, 3, 4, 5, 6)
    # "counted starting from ... the first message selector"
    assert ids(await store.between("#chan", start, end, 2)) == m(chan, 3, 4)


async def test_between_backwards_counts_from_the_start_but_returns_chronologically(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    start, end = MsgidAnchor(chan[7].msgid), MsgidAnchor(chan[2].msgid)
    assert ids(await store.between("#chan", start, end, 50)) == m(chan, 3, 4, 5, 6)
    assert ids(await store.between("#chan", start, end, 2)) == m(chan, 5, 6)


async def test_between_timestamps_and_mixed_selectors(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    t_start, t_end = TimeAnchor(at(1000)), TimeAnchor(at(6000))
    assert ids(await store.between("#chan", t_start, t_end, 50)) == m(chan, 2, 3, 4, 5)
    assert ids(await store.between("#chan", t_end, t_start, 2)) == m(chan, 4, 5)
    mixed = await store.between("#chan", MsgidAnchor(chan[0].msgid), TimeAnchor(at(3000)), 50)
    assert ids(mixed) == m(chan, 1, 2)
    assert await store.between("#chan", t_start, t_start, 50) == []


# --- errors ---------------------------------------------------------------------------------------


async def test_unknown_msgid_anchor_is_a_clear_error(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    with pytest.raises(UnknownMessageError) as caught:
        await store.before("#chan", MsgidAnchor("nope"), 10)
    assert caught.value.msgid == "nope" and caught.value.target == "#chan"
    with pytest.raises(UnknownMessageError):
        await store.between("#chan", MsgidAnchor(chan[0].msgid), MsgidAnchor("nope"), 10)
    with pytest.raises(UnknownMessageError):  # reported even when nothing would be returned
        await store.after("#chan", MsgidAnchor("nope"), 0)


async def test_a_msgid_of_another_conversation_is_unknown_here(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    (other,) = await store.latest("#other", 1)
    with pytest.raises(UnknownMessageError):
        await store.around("#chan", MsgidAnchor(other.msgid), 5)


def test_a_negative_limit_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="negative"):
        Latest("#chan", -1)


# --- private conversations and TARGETS ------------------------------------------------------------


async def test_both_parties_share_one_private_conversation(store: HistoryStore) -> None:
    # Spec example "Requesting further message history than our client currently has".
    hello = msg(dm_key("bob", "alice"), 0, "hello", source="bob!ident@host", target_param="alice")
    hi = msg(dm_key("alice", "bob"), 1000, "hi!", source="alice!ident@host", target_param="bob")
    await store_all(store, [hello, hi])
    got = await store.before("alice,bob", TimeAnchor(at(50_000)), 50)
    assert got == [hello, hi]


async def test_targets_lists_channels_and_the_users_dms_by_latest_time(
    store: HistoryStore,
) -> None:
    await store_all(
        store,
        [
            msg("#a", 1000),
            msg("#b", 2000),
            msg("#a", 3000),
            msg(dm_key("alice", "bob"), 4000),
            msg(dm_key("carol", "alice"), 5000),
            msg(dm_key("bob", "carol"), 6000),  # not alice's
            msg("#secret", 7000),  # not asked for
        ],
    )
    found = await store.targets(at(0), at(10_000), 50, channels=["#a", "#b"], nick="alice")
    assert found == [
        TargetActivity("#b", at(2000)),
        TargetActivity("#a", at(3000)),
        TargetActivity("alice,bob", at(4000)),
        TargetActivity("alice,carol", at(5000)),
    ]
    # The window is exclusive and the latest time is the latest inside it.
    inside = await store.targets(at(1000), at(3000), 50, channels=["#a", "#b"], nick="alice")
    assert inside == [TargetActivity("#b", at(2000))]
    # Counting starts at the first timestamp, in either direction.
    forwards = await store.targets(at(0), at(10_000), 2, channels=["#a", "#b"], nick="alice")
    assert [t.target for t in forwards] == ["#b", "#a"]
    backwards = await store.targets(at(10_000), at(0), 2, channels=["#a", "#b"], nick="alice")
    assert [t.target for t in backwards] == ["alice,bob", "alice,carol"]
    assert await store.targets(at(0), at(10_000), 0, channels=["#a"]) == []
    assert await store.targets(at(0), at(10_000), 5, nick="nobody") == []


# --- channel events (draft/event-playback) --------------------------------------------------------


@pytest.fixture
async def lively(store: HistoryStore) -> list[StoredMessage]:
    """#chan: messages m0 m2 m4 m6 interleaved with the events e1 e3 e5 e7 (index = ms/1000)."""
    events = [
        event(MessageKind.JOIN, ("#chan",), ms=1000),
        event(MessageKind.KICK, ("#chan", "bob", "out"), ms=3000),
        event(MessageKind.QUIT, ("",), ms=5000),
        event(MessageKind.MODE, ("#chan", "+ov", "alice", "carol"), ms=7000),
    ]
    found = [msg("#chan", 2000 * i, f"m{2 * i}") for i in range(4)]
    everything = sorted(found + events, key=lambda message: message.time)
    assert all(await store_all(store, everything))
    return everything


async def test_events_round_trip_with_their_parameters(
    store: HistoryStore, lively: list[StoredMessage]
) -> None:
    found = await store.query(Latest("#chan", 50, events=True))
    assert found == lively
    assert [m.params for m in found if m.kind in EVENT_KINDS] == [
        ("#chan",),
        ("#chan", "bob", "out"),
        ("",),
        ("#chan", "+ov", "alice", "carol"),
    ]
    assert found[0].params == ("#chan", "m0")


async def test_queries_leave_events_out_unless_asked(
    store: HistoryStore, lively: list[StoredMessage]
) -> None:
    def only(*indexes: int) -> list[str]:
        return [lively[i].msgid for i in indexes]

    # The limit counts messages; with events, those of the span the page covers ride
    # along (from the query's bound to its farthest message), not counted.
    assert ids(await store.latest("#chan", 2)) == only(4, 6)
    assert ids(await store.query(Latest("#chan", 2, events=True))) == only(4, 5, 6, 7)
    first, last = MsgidAnchor(lively[0].msgid), MsgidAnchor(lively[7].msgid)
    assert ids(await store.before("#chan", last, 2)) == only(4, 6)
    assert ids(await store.query(Before("#chan", last, 2, events=True))) == only(4, 5, 6)
    # The next page back holds what lies before, nothing twice, nothing lost.
    m4 = MsgidAnchor(lively[4].msgid)
    assert ids(await store.query(Before("#chan", m4, 5, events=True))) == only(0, 1, 2, 3)
    assert ids(await store.after("#chan", first, 2)) == only(2, 4)
    assert ids(await store.query(After("#chan", first, 2, events=True))) == only(1, 2, 3, 4)
    assert ids(await store.query(After("#chan", m4, 5, events=True))) == only(5, 6, 7)
    pivot = MsgidAnchor(lively[4].msgid)
    assert ids(await store.query(Around("#chan", pivot, 3, events=True))) == only(2, 3, 4, 5, 6)
    assert ids(await store.query(Between("#chan", first, last, 2, events=True))) == only(1, 2, 3, 4)
    assert ids(await store.between("#chan", first, last, 5)) == only(2, 4, 6)
    assert ids(await store.around("#chan", MsgidAnchor(lively[4].msgid), 3)) == only(2, 4, 6)
    # An event's msgid is a valid anchor either way.
    assert ids(await store.after("#chan", MsgidAnchor(lively[1].msgid), 1)) == only(2)


async def test_targets_count_messages_not_events(
    store: HistoryStore, lively: list[StoredMessage]
) -> None:
    await store_all(store, [event(MessageKind.NICK, ("newnick",), "#quiet", 9000)])
    found = await store.targets(at(0), at(10_000), 5, channels=["#chan", "#quiet"])
    assert found == [TargetActivity("#chan", at(6000))]


async def test_purge_and_retention_cover_events(
    store: HistoryStore, lively: list[StoredMessage]
) -> None:
    await store_all(store, [event(MessageKind.TOPIC, ("#b", "hi"), "#b", 0)])
    # Older than 4 s at 8000: the #b topic and #chan's first four (two of them events).
    assert await store.apply_retention(max_age=timedelta(seconds=4), now=at(8000)) == 5
    assert ids(await store.query(Latest("#chan", 50, events=True))) == ids(lively[4:])
    assert await store.purge("#chan") == 4
    assert await store.query(Latest("#chan", 50, events=True)) == []


async def test_the_count_rule_keeps_messages_and_events_apart(
    store: HistoryStore, lively: list[StoredMessage]
) -> None:
    # A room full of joins and parts keeps its newest messages all the same.
    await store_all(store, [event(MessageKind.JOIN, ("#chan",), ms=8000 + i) for i in range(5)])
    assert await store.apply_retention(max_per_target=2) == 2 + 7
    found = await store.query(Latest("#chan", 50, events=True))
    assert [m.text for m in found if m.kind not in EVENT_KINDS] == ["m4", "m6"]
    assert len(found) == 4
    assert await store.apply_retention(max_per_target=0) == 4
    assert await store.query(Latest("#chan", 50, events=True)) == []


# --- purge and retention --------------------------------------------------------------------------


async def test_purge_deletes_one_conversation(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    assert await store.purge("#chan") == 10
    assert await store.latest("#chan", 50) == []
    assert len(await store.latest("#other", 50)) == 10
    with pytest.raises(UnknownMessageError):
        await store.after("#chan", MsgidAnchor(chan[0].msgid), 5)
    assert await store.purge("#chan") == 0


async def test_purge_of_a_dm_removes_it_from_targets(store: HistoryStore) -> None:
    key = dm_key("alice", "bob")
    await store_all(store, [msg(key, 0), msg(key, 1)])
    assert await store.purge(key) == 2
    assert await store.targets(at(-1), at(10), 5, nick="alice") == []
    await store_all(store, [msg(key, 2)])  # the conversation can start again
    assert [t.target for t in await store.targets(at(-1), at(10), 5, nick="bob")] == [key]


async def test_retention_by_age(store: HistoryStore, chan: list[StoredMessage]) -> None:
    now = at(10_000)
    deleted = await store.apply_retention(max_age=timedelta(seconds=5), now=now)
    assert deleted == 10  # m0..m4 of #chan and their #other twins are older than 5 s
    assert ids(await store.latest("#chan", 50)) == m(chan, 5, 6, 7, 8, 9)


async def test_retention_by_count_keeps_the_newest(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    await store_all(store, [msg("#small", 0)])
    assert await store.apply_retention(max_per_target=3) == 14
    assert ids(await store.latest("#chan", 50)) == m(chan, 7, 8, 9)
    assert len(await store.latest("#other", 50)) == 3
    assert len(await store.latest("#small", 50)) == 1


async def test_retention_rules_combine_and_none_keeps_all(
    store: HistoryStore, chan: list[StoredMessage]
) -> None:
    assert await store.apply_retention() == 0
    assert await store.apply_retention(timedelta(days=1), None, now=at(0)) == 0
    deleted = await store.apply_retention(timedelta(seconds=3), 4, now=at(9000))
    assert deleted == 12
    assert ids(await store.latest("#chan", 50)) == m(chan, 6, 7, 8, 9)
    with pytest.raises(ValueError):
        await store.apply_retention(max_per_target=-1)


# --- flush and close ------------------------------------------------------------------------------


async def test_close_is_idempotent_and_final(store: HistoryStore) -> None:
    await store_all(store, [msg()])
    await asyncio.gather(store.close(), store.close())
    await store.close()
    await store.flush()  # returns at once
    with pytest.raises(StoreClosedError):
        await store.latest("#chan", 5)
    results: list[bool] = []
    store.append(msg(), results.append)
    await asyncio.sleep(0)
    assert results == [False]


async def test_close_stores_everything_appended_before_it(store: HistoryStore) -> None:
    results: list[bool] = []
    for i in range(500):
        store.append(msg(ms=i), results.append)
    await store.close()
    assert results == [True] * 500


# --- read markers (https://ircv3.net/specs/extensions/read-marker) ------------------------------


async def test_a_read_marker_is_unknown_until_set(store: HistoryStore) -> None:
    assert await store.read_marker("alice", "#chan") is None


async def test_a_read_marker_moves_forward_only(store: HistoryStore) -> None:
    assert await store.set_read_marker("alice", "#chan", at(2000)) == at(2000)
    assert await store.set_read_marker("alice", "#chan", at(1000)) == at(2000)
    assert await store.read_marker("alice", "#chan") == at(2000)
    assert await store.set_read_marker("alice", "#chan", at(3000)) == at(3000)
    assert await store.read_marker("alice", "#chan") == at(3000)


async def test_read_markers_are_per_account_and_target(store: HistoryStore) -> None:
    await store.set_read_marker("alice", "#chan", at(2000))
    await store.set_read_marker("alice", "bob", at(5000))
    assert await store.read_marker("bob", "#chan") is None
    assert await store.read_marker("alice", "#other") is None
    assert await store.read_marker("alice", "bob") == at(5000)
    assert await store.read_marker("alice", "#chan") == at(2000)
