"""SEARCH in memory (soju.im/search, https://soju.im/specs/search), with CHATHISTORY's
rules on who may read what."""

from __future__ import annotations

from support.core import FakeClient, Harness, commands, join, say, texts

CAPS = ("batch", "server-time", "message-tags", "soju.im/search")


async def room(harness: Harness) -> tuple[FakeClient, FakeClient]:
    alice = await harness.user("alice", caps=CAPS)
    bob = await harness.user("bob")
    await join("#h", alice, bob)
    await say(bob, "#h", "fast one", "slow two", "Fast three", "four")
    alice.lines()
    return alice, bob


async def test_the_cap_is_offered_with_history(harness: Harness) -> None:
    assert "soju.im/search" in harness.server.caps


async def test_matches_come_in_a_search_batch_oldest_first(harness: Harness) -> None:
    alice, _bob = await room(harness)
    replies = await alice.ask("SEARCH text=fast;in=#h")
    start, end = replies[0], replies[-1]
    assert start.command == "BATCH" and start.params[1:] == ("soju.im/search",)
    assert end.params == ("-" + start.params[0][1:],)
    assert texts(replies) == ["fast one", "Fast three"]
    for line in replies[1:-1]:
        assert line.tags["batch"] == start.params[0][1:] and "msgid" in line.tags
        assert line.source.startswith("bob!") and line.params[0] == "#h"


async def test_limit_from_and_paging_with_before(harness: Harness) -> None:
    alice, _bob = await room(harness)
    await say(alice, "#h", "fast from alice")
    alice.lines()
    page = await alice.ask("SEARCH text=fast;limit=2")
    assert texts(page) == ["Fast three", "fast from alice"]
    assert texts(await alice.ask("SEARCH from=BOB;text=fast")) == ["fast one", "Fast three"]
    oldest = next(line for line in page if line.command == "PRIVMSG").tags["time"]
    # The spec's before is inclusive: the line at that time comes again, once.
    assert texts(await alice.ask(f"SEARCH text=fast;before={oldest}")) == [
        "fast one",
        "Fast three",
    ]


async def test_only_what_the_user_may_read(harness: Harness) -> None:
    _alice, bob = await room(harness)
    carol = await harness.user("carol", caps=CAPS)
    dave = await harness.user("dave", caps=CAPS)
    await say(bob, "carol", "fast and private")
    await say(dave, "carol", "fast too")
    carol.lines()
    dave.lines()
    # Not in #h: nothing from it, and the same empty batch as a channel that is not there.
    assert texts(await carol.ask("SEARCH text=fast;in=#h")) == []
    assert commands(await carol.ask("SEARCH in=#nowhere")) == ["BATCH", "BATCH"]
    assert texts(await carol.ask("SEARCH text=fast")) == ["fast and private", "fast too"]
    assert texts(await carol.ask("SEARCH text=fast;in=Bob")) == ["fast and private"]
    # A third party's private conversation is not its own.
    assert texts(await dave.ask("SEARCH text=fast")) == ["fast too"]
    assert texts(await dave.ask("SEARCH text=private;in=bob")) == []


async def test_bad_attributes_are_invalid_params(harness: Harness) -> None:
    alice, _bob = await room(harness)
    for attrs, name in (
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("after=yesterday", "after"),
        ("before=2020-13-01T00:00:00Z", "before"),
        ("from=a b", "from"),
        ("in=no,body", "in"),
        ("=x", "=x"),
    ):
        replies = await alice.ask(f"SEARCH :{attrs}")
        assert commands(replies) == ["FAIL"], attrs
        assert replies[0].params == ("SEARCH", "INVALID_PARAMS", name, "Invalid parameters")


async def test_a_failing_store_is_an_internal_error(harness: Harness) -> None:
    alice, _bob = await room(harness)
    assert harness.history is not None
    harness.history.fail_queries = True
    replies = await alice.ask("SEARCH text=fast")
    assert [line.params[:2] for line in replies] == [("SEARCH", "INTERNAL_ERROR")]


async def test_without_history_it_is_an_unknown_command() -> None:
    harness = Harness(history=False)
    try:
        client = await harness.user("alice", caps=CAPS)
        replies = await client.ask("SEARCH text=x")
        assert commands(replies) == ["421"]
        assert "soju.im/search" not in harness.server.caps
    finally:
        await harness.close()
