"""The HistoryStore redaction contract (message, redact), run against every backend.

https://ircv3.net/specs/extensions/message-redaction: a redacted message leaves history,
but its row stays as a tombstone so msgid anchors and read markers keep their place.
"""

from __future__ import annotations

import sqlite3

import pytest

from chatroom.storage import HistoryStore, Latest, MessageKind, MsgidAnchor, Search
from chatroom.storage.sqlite import SQLiteHistoryStore
from support.history import event, ids, msg, store_all


async def test_message_finds_a_message_by_msgid_in_its_conversation(
    store: HistoryStore,
) -> None:
    one = msg("#chan", 0, "secret", tags={"+draft/reply": "x"})
    assert all(await store_all(store, [one]))
    assert await store.message("#chan", one.msgid) == one
    assert await store.message("#other", one.msgid) is None
    assert await store.message("#chan", "nosuchid") is None


async def test_redact_leaves_a_tombstone_in_place(store: HistoryStore) -> None:
    first, secret, last = msg(ms=0), msg(ms=1000, text="secret", tags={"+a": "b"}), msg(ms=2000)
    assert all(await store_all(store, [first, secret, last]))

    assert await store.redact("#chan", secret.msgid, "op!o@h", "opacct")

    tomb = await store.message("#chan", secret.msgid)
    assert tomb is not None
    assert (tomb.kind, tomb.text, dict(tomb.tags)) == (MessageKind.REDACT, "", {})
    assert (tomb.source, tomb.account, tomb.time) == ("op!o@h", "opacct", secret.time)
    assert tomb.params == ("#chan", secret.msgid)
    # Gone from plain history, kept as an event for event-playback, anchors still resolve.
    assert ids(await store.query(Latest("#chan", 10))) == ids([first, last])
    with_events = await store.query(Latest("#chan", 10, events=True))
    assert ids(with_events) == ids([first, secret, last])
    after = await store.after("#chan", MsgidAnchor(secret.msgid), 10)
    assert ids(after) == ids([last])


async def test_redact_refuses_unknown_events_and_tombstones(store: HistoryStore) -> None:
    join = event(MessageKind.JOIN, ("#chan",))
    one = msg(ms=1000)
    assert all(await store_all(store, [join, one]))
    assert not await store.redact("#chan", "nosuchid", "a!b@c", None)
    assert not await store.redact("#other", one.msgid, "a!b@c", None)
    assert not await store.redact("#chan", join.msgid, "a!b@c", None)
    assert await store.redact("#chan", one.msgid, "a!b@c", None)
    assert not await store.redact("#chan", one.msgid, "x!y@z", None)  # already a tombstone
    tomb = await store.message("#chan", one.msgid)
    assert tomb is not None and tomb.source == "a!b@c"


async def test_a_redacted_text_is_not_found_by_search(store: HistoryStore) -> None:
    one = msg(text="the launch code is 1234")
    assert all(await store_all(store, [one]))
    assert await store.search(Search("launch code", 10, ("#chan",)))
    assert await store.redact("#chan", one.msgid, "a!b@c", None)
    assert await store.search(Search("launch code", 10, ("#chan",))) == []


async def test_redaction_empties_the_sqlite_full_text_index(store: HistoryStore) -> None:
    if not isinstance(store, SQLiteHistoryStore):
        pytest.skip("the FTS5 index is SQLite's")
    one = msg(text="the launch code is 1234")
    assert all(await store_all(store, [one]))
    assert await store.redact("#chan", one.msgid, "a!b@c", None)
    path = store.path
    await store.close()
    with sqlite3.connect(path) as conn:
        found = conn.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH '\"launch\"'"
        ).fetchall()
    assert found == []
