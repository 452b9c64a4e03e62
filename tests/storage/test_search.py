"""The full-text search of the HistoryStore contract, run against every backend.

What SEARCH (soju.im/search) relies on: a case-insensitive substring match of the text,
only in the conversations given, filters by sender and inclusive time bounds, the newest
matches first, and an index that forgets what purge and retention delete.
"""

from __future__ import annotations

from datetime import timedelta

from chatroom.storage import HistoryStore, MessageKind, Search, StoredMessage, dm_key
from support.history import at, ids, msg, store_all


async def _fill(store: HistoryStore) -> list[StoredMessage]:
    messages = [
        msg("#chan", 0, "The Quick brown fox", source="alice!a@h"),
        msg("#chan", 1000, "nothing here", source="bob!b@h"),
        msg("#other", 2000, "quick in another room", source="alice!a@h"),
        msg("#chan", 3000, "QUICKLY now", source="Bob!b@h"),
        msg("#chan", 4000, "", kind=MessageKind.TAGMSG, source="bob!b@h"),
        msg(dm_key("alice", "bob"), 5000, "a quick word", source="alice!a@h"),
        msg(dm_key("carol", "dave"), 6000, "quick secret", source="carol!c@h"),
        msg("#chan", 7000, "東京タワーで会いましょう 🎉🎉 ok", source="alice!a@h"),
        msg("#chan", 8000, "100% sure_thing", source="alice!a@h"),
    ]
    assert all(await store_all(store, messages))
    return messages


async def test_finds_a_substring_in_any_case_newest_first(store: HistoryStore) -> None:
    m = await _fill(store)
    found = await store.search(Search("quick", 10, targets=("#chan",)))
    assert ids(found) == ids([m[3], m[0]])


async def test_only_in_the_conversations_given_and_the_nicks_dms(store: HistoryStore) -> None:
    m = await _fill(store)
    found = await store.search(Search("quick", 10, targets=("#chan", "#other"), dms_of="bob"))
    assert ids(found) == ids([m[5], m[3], m[2], m[0]])
    assert await store.search(Search("quick", 10)) == []


async def test_filters_by_sender_and_inclusive_times(store: HistoryStore) -> None:
    m = await _fill(store)
    by_bob = await store.search(Search("", 10, targets=("#chan",), sender="bob"))
    assert ids(by_bob) == ids([m[3], m[1]])  # not the TAGMSG, any case of the nick
    window = Search("", 10, targets=("#chan",), after=at(1000), before=at(3000))
    assert ids(await store.search(window)) == ids([m[3], m[1]])


async def test_limit_and_paging_with_before(store: HistoryStore) -> None:
    m = await _fill(store)
    first = await store.search(Search("", 2, targets=("#chan",)))
    assert ids(first) == ids([m[8], m[7]])
    before = first[-1].time - timedelta(milliseconds=1)
    rest = await store.search(Search("", 10, targets=("#chan",), before=before))
    assert ids(rest) == ids([m[3], m[1], m[0]])


async def test_cjk_emoji_short_and_wildcard_text(store: HistoryStore) -> None:
    m = await _fill(store)
    chan = ("#chan",)
    assert ids(await store.search(Search("タワー", 5, targets=chan))) == ids([m[7]])
    assert ids(await store.search(Search("東京", 5, targets=chan))) == ids([m[7]])  # 2 chars
    assert ids(await store.search(Search("🎉", 5, targets=chan))) == ids([m[7]])
    assert ids(await store.search(Search("0%", 5, targets=chan))) == ids([m[8]])
    assert ids(await store.search(Search("e_t", 5, targets=chan))) == ids([m[8]])
    assert await store.search(Search("e%t", 5, targets=chan)) == []  # % is not a wildcard
    assert ids(await store.search(Search('"ok', 5, targets=chan))) == []


async def test_purge_and_retention_leave_nothing_to_find(store: HistoryStore) -> None:
    await _fill(store)
    assert await store.purge("#chan") == 6
    assert await store.search(Search("quick", 10, targets=("#chan",))) == []
    await store.apply_retention(max_age=timedelta(milliseconds=500), now=at(6000))
    assert await store.search(Search("quick", 10, targets=("#other",), dms_of="bob")) == []
    assert await store.search(Search("", 10, dms_of="carol")) != []


async def test_channel_events_are_not_found(store: HistoryStore) -> None:
    """A JOIN or TOPIC kept for event playback is not something anybody said."""
    m = await _fill(store)
    events = [
        msg("#chan", 9000, "#chan\nquick topic", kind=MessageKind.TOPIC, source="bob!b@h"),
        msg("#chan", 9500, "#chan", kind=MessageKind.JOIN, source="quickie!q@h"),
    ]
    assert all(await store_all(store, events))
    found = await store.search(Search("quick", 10, targets=("#chan",)))
    assert ids(found) == ids([m[3], m[0]])
    assert ids(await store.search(Search("", 10, targets=("#chan",), sender="quickie"))) == []


async def test_late_stored_older_and_newer_messages_keep_time_order(store: HistoryStore) -> None:
    # Stored order is not time order (a relayed or imported message): the newest by time
    # come first even when they were stored first, past the first range of seqs read.
    newer = [msg("#chan", 1_000_000 + i, f"quick {i}", source="bob!b@h") for i in range(300)]
    older = [msg("#chan", i, f"quick old {i}", source="bob!b@h") for i in range(3000)]
    older[10] = msg("#chan", 10, "quick old by alice", source="alice!a@h")
    assert all(await store_all(store, newer + older))
    found = await store.search(Search("quick", 5, targets=("#chan",)))
    assert ids(found) == ids(newer[:-6:-1])
    by_alice = await store.search(Search("quick", 5, targets=("#chan",), sender="alice"))
    assert ids(by_alice) == ids([older[10]])
    window = Search("uick old", 3, targets=("#chan",), before=at(400))
    assert ids(await store.search(window)) == ids(older[400:397:-1])
