"""The record of delivered msgids that keeps catch-up and live delivery exactly-once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from chatroom.cluster import catchup
from chatroom.cluster.catchup import Delivered, catch_up
from chatroom.cluster.events import ChannelMessage, PrivateMessage, UserUp
from chatroom.protocol.line import Line
from chatroom.server.network.view import RemoteView
from chatroom.storage.base import MessageKind, StoredMessage, utc_now
from chatroom.storage.conversations import dm_key
from support.core import FakeClient, Harness, join


def _message(msgid: str) -> ChannelMessage:
    return ChannelMessage("#a", Line("PRIVMSG", ("#a", "hi"), "x!u@h", {"msgid": msgid}))


def test_a_message_is_new_once() -> None:
    delivered = Delivered()
    assert delivered.first_time(_message("m1"))
    assert not delivered.first_time(_message("m1"))  # published twice: shown once
    line = Line("PRIVMSG", ("bob", "hi"), "x!u@h", {"msgid": "m1"})
    assert not delivered.first_time(PrivateMessage("bob", line))
    assert "m1" in delivered and "m2" not in delivered


def test_other_events_and_messages_without_msgid_always_pass() -> None:
    delivered = Delivered()
    assert delivered.first_time(UserUp("x", "x!u@h"))
    assert delivered.first_time(UserUp("x", "x!u@h"))
    bare = ChannelMessage("#a", Line("PRIVMSG", ("#a", "hi"), "x!u@h"))
    assert delivered.first_time(bare) and delivered.first_time(bare)


def test_the_record_is_bounded_and_says_since_when_it_is_complete() -> None:
    delivered = Delivered(size=2)
    assert delivered.covers_since is None  # nothing forgotten yet
    for msgid in ("a", "b", "c"):
        delivered.add(msgid)
    assert "a" not in delivered and "b" in delivered and "c" in delivered
    assert delivered.covers_since is not None


def test_the_window_start_is_when_the_forgotten_msgid_was_recorded() -> None:
    # A process that ran long enough to fill the record must still catch up: the
    # record covers everything since the oldest msgid it kept, not since "now".
    delivered = Delivered(size=2)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for minute, msgid in enumerate(("a", "b", "c", "d")):
        delivered.add(msgid, start + timedelta(minutes=minute))
    assert delivered.covers_since == start + timedelta(minutes=1)  # when "b" was recorded
    delivered.add("e", start + timedelta(hours=5))
    assert delivered.covers_since == start + timedelta(minutes=2)


def test_a_message_is_remembered_only_once_delivered() -> None:
    delivered = Delivered()
    assert delivered.is_new(_message("m1"))
    assert delivered.is_new(_message("m1"))  # not delivered yet (its delivery may fail)
    delivered.remember(_message("m1"))
    assert not delivered.is_new(_message("m1"))


# -- catch_up: what the others stored while this process could not hear them -----------


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    made = Harness(accounts=False)
    yield made
    await made.close()


async def _room(harness: Harness) -> tuple[FakeClient, FakeClient, datetime]:
    """alice and carol in #room; the time the outage began."""
    alice = await harness.user("alice")
    carol = await harness.user("carol")
    await join("#room", alice, carol)
    return alice, carol, utc_now()


def _store(harness: Harness, msgid: str, at: datetime, target: str, source: str, text: str) -> None:
    """A PRIVMSG to ``target`` (a channel or a nick) stored by some process at ``at``."""
    key = target if target[:1] == "#" else dm_key(target, source.split("!")[0].lower())
    assert harness.history is not None
    message = StoredMessage(msgid, at, key, MessageKind.PRIVMSG, source, target, text)
    harness.history.append(message)


def _said(client: FakeClient) -> list[tuple[str, ...]]:
    return [(line.command, *line.params) for line in client.lines()]


async def test_catch_up_delivers_what_others_stored_once_oldest_first(
    harness: Harness,
) -> None:
    alice, carol, since = await _room(harness)
    second = timedelta(seconds=1)
    _store(harness, "p2-a", since + second, "#room", "bob!u@h", "one")
    _store(harness, "me-a", since + 2 * second, "#room", "alice!u@h", "relayed here")
    _store(harness, "p2-b", since + 3 * second, "alice", "bob!u@h", "psst")
    _store(harness, "p2-c", since + 4 * second, "#room", "bob!u@h", "seen live")
    _store(harness, "p2-d", since + 5 * second, "alice", "alice!u@h", "alice's own")
    delivered = Delivered()
    delivered.add("p2-c")
    until = since + 10 * second
    count = await catch_up(harness.server, RemoteView(), delivered, "me-", since, until)
    assert count == 2
    await asyncio.sleep(0)
    assert _said(alice) == [("PRIVMSG", "#room", "one"), ("PRIVMSG", "alice", "psst")]
    assert _said(carol) == [("PRIVMSG", "#room", "one")]
    assert await catch_up(harness.server, RemoteView(), delivered, "me-", since, until) == 0


async def test_catch_up_keeps_the_latest_and_says_how_many_more_there_are(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catchup, "PER_TARGET", 2)
    alice, carol, since = await _room(harness)
    for i in range(3):
        at = since + timedelta(seconds=i + 1)
        _store(harness, f"p2-r{i}", at, "#room", "bob!u@h", f"room {i}")
        _store(harness, f"p2-d{i}", at, "alice", "Bob!u@h", f"dm {i}")
    until = since + timedelta(seconds=10)
    count = await catch_up(harness.server, RemoteView(), Delivered(), "me-", since, until)
    assert count == 4
    await asyncio.sleep(0)
    said = _said(alice)
    assert [p[2] for p in said if p[0] == "PRIVMSG"] == ["room 1", "dm 1", "room 2", "dm 2"]
    notices = [p[2] for p in said if p[0] == "NOTICE"]
    assert notices == [
        "1 older message with #room from while the network was split was not replayed: "
        "your client can fetch them with CHATHISTORY.",
        "1 older message with Bob from while the network was split was not replayed: "
        "your client can fetch them with CHATHISTORY.",
    ]
    assert [p[0] for p in _said(carol)] == ["PRIVMSG", "PRIVMSG", "NOTICE"]


async def test_private_messages_are_not_caught_up_for_a_nick_in_doubt(
    harness: Harness,
) -> None:
    """Given out here during the outage, or taken after it began: maybe not theirs."""
    alice, _carol, since = await _room(harness)
    _store(harness, "p2-a", since + timedelta(seconds=1), "alice", "bob!u@h", "psst")
    until = since + timedelta(seconds=10)
    server, view = harness.server, RemoteView()
    assert await catch_up(server, view, Delivered(), "me-", since, until, doubtful={"alice"}) == 0
    held_since = since - timedelta(hours=1)  # alice registered after the outage began
    assert (
        await catch_up(server, view, Delivered(), "me-", since, until, held_since=held_since) == 0
    )
    assert await catch_up(server, view, Delivered(), "me-", since, until) == 1
    await asyncio.sleep(0)
    assert _said(alice) == [("PRIVMSG", "alice", "psst")]
