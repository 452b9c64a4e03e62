"""Interest-based routing: which channels' messages a process subscribes to, and
the subscribe gap closed from history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from chatroom.cluster.catchup import Delivered, catch_up_channel
from chatroom.cluster.interest import Interest
from chatroom.cluster.keys import channel_events_key, channel_of_events_key
from chatroom.server.network.view import RemoteView
from chatroom.storage.base import MessageKind, StoredMessage, utc_now
from support.core import FakeClient, Harness, join


def test_a_channel_key_names_its_channel_and_its_shard() -> None:
    key = channel_events_key("#chat{x}")
    assert key == "chatroom:{#chat{x}}"
    assert channel_of_events_key(key) == "#chat{x}"
    assert channel_of_events_key("chatroom:events") is None


def test_subscribe_on_first_member_unsubscribe_after_last() -> None:
    interest = Interest(sharded=True)
    assert interest.changes({"#a", "#b"}) == (["#a", "#b"], [])
    assert interest.changes({"#a", "#b"}) == ([], [])  # nothing asked twice
    assert interest.changes({"#b"}) == ([], ["#a"])
    assert interest.following == {"#b"}


def test_the_gap_of_a_first_join_is_closed_once_confirmed() -> None:
    interest = Interest(sharded=False)
    at = utc_now()
    interest.joined("#a", at)
    interest.joined("#a", at + timedelta(seconds=1))  # a second JOIN: the first counts
    assert interest.confirmed("#a") is None  # not asked for yet
    interest.changes({"#a"})
    assert interest.confirmed("#a") == at
    assert interest.confirmed("#a") is None  # a re-subscription: no gap of its own
    interest.joined("#a", at)  # already followed: no gap
    assert interest.confirmed("#a") is None


def test_a_failed_subscription_is_asked_again() -> None:
    interest = Interest(sharded=True)
    interest.joined("#a", utc_now())
    add, _ = interest.changes({"#a"})
    interest.failed(add)
    assert interest.changes({"#a"}) == (["#a"], [])
    assert interest.confirmed("#a") is not None


def test_leaving_before_the_confirmation_drops_the_gap() -> None:
    interest = Interest(sharded=True)
    interest.joined("#a", utc_now())
    interest.changes({"#a"})
    interest.changes(set())
    assert interest.confirmed("#a") is None


# -- closing the gap from history ------------------------------------------------------


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    made = Harness(accounts=False)
    yield made
    await made.close()


def _store(harness: Harness, msgid: str, target: str, text: str, seconds: float) -> None:
    assert harness.history is not None
    at = utc_now() + timedelta(seconds=seconds)
    harness.history.append(
        StoredMessage(msgid, at, target, MessageKind.PRIVMSG, "bob!u@h", target, text)
    )


def _texts(client: FakeClient) -> list[str]:
    return [line.params[1] for line in client.lines() if line.command == "PRIVMSG"]


async def test_the_gap_is_caught_up_from_history_once(harness: Harness) -> None:
    """Messages another process published between our first JOIN and the
    subscription reach the joiner once, the ones heard live are not repeated, and
    those before the JOIN or of other channels not at all."""
    alice = await harness.user("alice")
    _store(harness, "p2-0", "#room", "before the join", -5)
    since = utc_now()
    await join("#room", alice)
    alice.lines()
    _store(harness, "p2-1", "#room", "in the gap", 0.1)
    _store(harness, "p2-2", "#room", "heard live", 0.2)
    _store(harness, "p2-3", "#other", "elsewhere", 0.3)
    delivered = Delivered()
    delivered.add("p2-2")
    server, view = harness.server, RemoteView()
    until = utc_now() + timedelta(minutes=1)
    assert await catch_up_channel(server, view, delivered, "me-", "#room", since, until) == 1
    await asyncio.sleep(0)
    assert _texts(alice) == ["in the gap"]
    assert await catch_up_channel(server, view, delivered, "me-", "#room", since, until) == 0
    assert await catch_up_channel(server, view, delivered, "me-", "#none", since, until) == 0
