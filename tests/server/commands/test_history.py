"""CHATHISTORY and PURGE in memory (https://ircv3.net/specs/extensions/chathistory).

Who may read private conversations as nicks change hands is tested in
``tests/server/test_private_history.py``.
"""

from __future__ import annotations

import asyncio

from chatroom.protocol.line import Line
from support.core import FakeClient, Harness, commands, find, join, params

HISTORY_CAPS = ("batch", "server-time", "message-tags", "draft/chathistory")
EPOCH = "timestamp=2000-01-01T00:00:00.000Z"
FUTURE = "timestamp=2100-01-01T00:00:00.000Z"


async def say(client: FakeClient, target: str, *texts: str) -> None:
    for text in texts:
        await client.ask(f"PRIVMSG {target} :{text}")
        await asyncio.sleep(0.002)  # history keeps time to the millisecond


def texts(replies: list[Line]) -> list[str]:
    return [line.params[1] for line in replies if line.command in ("PRIVMSG", "NOTICE")]


async def room(harness: Harness) -> tuple[FakeClient, FakeClient]:
    """alice (with the history caps) and bob in #h, where bob said one to five."""
    alice = await harness.user("alice", caps=HISTORY_CAPS)
    bob = await harness.user("bob")
    await join("#h", alice, bob)
    await say(bob, "#h", "one", "two", "three", "four", "five")
    alice.lines()
    return alice, bob


async def test_latest_comes_in_a_chathistory_batch(harness: Harness) -> None:
    alice, _bob = await room(harness)
    replies = await alice.ask("CHATHISTORY LATEST #h * 3")
    start, end = replies[0], replies[-1]
    assert start.command == "BATCH" and start.params[1:] == ("chathistory", "#h")
    ref = start.params[0][1:]
    assert end.params == (f"-{ref}",)
    messages = replies[1:-1]
    assert texts(messages) == ["three", "four", "five"]
    for line in messages:
        assert line.tags["batch"] == ref and "msgid" in line.tags and "time" in line.tags
        assert line.source == "bob!~bob@10.0.0.2" and line.params[0] == "#h"


async def test_before_after_around_between(harness: Harness) -> None:
    alice, _bob = await room(harness)
    messages = (await alice.ask("CHATHISTORY LATEST #h * 10"))[1:-1]
    ids = {line.params[1]: line.tags["msgid"] for line in messages}
    stamp = {line.params[1]: line.tags["time"] for line in messages}
    assert await alice.history("BEFORE", "#h", f"msgid={ids['three']}", "10") == ["one", "two"]
    assert await alice.history("AFTER", "#h", f"msgid={ids['three']}", "1") == ["four"]
    assert await alice.history("AFTER", "#h", f"timestamp={stamp['four']}", "10") == ["five"]
    around = await alice.history("AROUND", "#h", f"msgid={ids['three']}", "3")
    assert around == ["two", "three", "four"]
    between = await alice.history(
        "BETWEEN", "#h", f"msgid={ids['one']}", f"msgid={ids['five']}", "10"
    )
    assert between == ["two", "three", "four"]
    assert await alice.history("LATEST", "#h", f"msgid={ids['three']}", "10") == ["four", "five"]


async def test_targets(harness: Harness) -> None:
    alice, bob = await room(harness)
    await say(bob, "alice", "psst")
    alice.lines()
    replies = await alice.ask(f"CHATHISTORY TARGETS {EPOCH} {FUTURE} 10")
    assert replies[0].params[1] == "draft/chathistory-targets"
    listed = [p[1] for p in params(replies, "CHATHISTORY")]
    assert listed == ["#h", "bob"]  # oldest activity first
    assert all(p[0] == "TARGETS" for p in params(replies, "CHATHISTORY"))
    # Bare timestamps are accepted too; the limit counts from the first timestamp.
    replies = await alice.ask("CHATHISTORY TARGETS 2000-01-01T00:00:00Z 2100-01-01T00:00:00Z 1")
    assert [p[1] for p in params(replies, "CHATHISTORY")] == ["#h"]
    replies = await alice.ask(f"CHATHISTORY TARGETS {FUTURE} {EPOCH} 1")
    assert [p[1] for p in params(replies, "CHATHISTORY")] == ["bob"]


async def test_private_conversation(harness: Harness) -> None:
    alice = await harness.user("alice", caps=HISTORY_CAPS)
    bob = await harness.user("bob", caps=HISTORY_CAPS)
    await say(alice, "bob", "hi bob")
    await say(bob, "alice", "hi alice")
    assert await alice.history("LATEST", "BOB", "*", "10") == ["hi bob", "hi alice"]
    carol = await harness.user("carol", caps=HISTORY_CAPS)
    assert await carol.history("LATEST", "bob", "*", "10") == []


async def test_refused_targets_get_an_empty_batch(harness: Harness) -> None:
    _alice, bob = await room(harness)
    carol = await harness.user("carol", caps=HISTORY_CAPS)
    replies = await carol.ask("CHATHISTORY LATEST #h * 10")
    assert commands(replies) == ["BATCH", "BATCH"]  # not a member: nothing, not an error
    assert commands(await carol.ask("CHATHISTORY LATEST #nowhere * 10")) == ["BATCH", "BATCH"]
    await bob.ask("PART #h")
    assert commands(await bob.ask("CHATHISTORY LATEST #h * 10")) == []  # no batch cap


async def test_without_batch_the_lines_come_bare(harness: Harness) -> None:
    _alice, bob = await room(harness)
    replies = await bob.ask("CHATHISTORY LATEST #h * 2")
    assert commands(replies) == ["PRIVMSG", "PRIVMSG"]
    assert all(line.tags == {} for line in replies)


async def test_limit_is_capped_and_tagmsg_not_replayed(harness: Harness) -> None:
    alice, bob = await room(harness)
    await bob.ask("@+typing=active TAGMSG #h")
    await alice.ask("CHATHISTORY LATEST #h * 10000")  # more than CHATHISTORY=100: capped
    assert len(await alice.history("LATEST", "#h", "*", "10000")) == 5


async def test_account_and_client_tags_are_replayed(harness: Harness) -> None:
    caps = (*HISTORY_CAPS, "account-tag")
    alice = await harness.user("alice", "REGISTER * * :a good password", caps=caps)
    await alice.ask("JOIN #h")
    await alice.ask("@+draft/react=yes PRIVMSG #h :signed")
    replies = await alice.ask("CHATHISTORY LATEST #h * 1")
    line = find(replies, "PRIVMSG")
    assert line.tags["account"] == "alice" and line.tags["+draft/react"] == "yes"


async def test_invalid_params(harness: Harness) -> None:
    alice, _bob = await room(harness)
    cases = {
        "CHATHISTORY FROB #h * 10": ("INVALID_PARAMS", "FROB"),
        "CHATHISTORY LATEST #h *": ("INVALID_PARAMS", "LATEST"),
        "CHATHISTORY LATEST #h * 0": ("INVALID_PARAMS", "LATEST"),
        "CHATHISTORY LATEST #h * ten": ("INVALID_PARAMS", "LATEST"),
        "CHATHISTORY BEFORE #h * 10": ("INVALID_PARAMS", "BEFORE"),
        "CHATHISTORY BEFORE #h timestamp=yesterday 10": ("INVALID_PARAMS", "BEFORE"),
        "CHATHISTORY AFTER #h msgid= 10": ("INVALID_PARAMS", "AFTER"),
        "CHATHISTORY TARGETS yesterday today 10": ("INVALID_PARAMS", "TARGETS"),
        "CHATHISTORY LATEST bad,target * 10": ("INVALID_TARGET", "LATEST"),
        "CHATHISTORY LATEST #" + "x" * 70 + " * 10": ("INVALID_TARGET", "LATEST"),
    }
    for line, (code, context) in cases.items():
        fail = find(await alice.ask(line), "FAIL")
        assert fail.params[:3] == ("CHATHISTORY", code, context), line
    assert find(await alice.ask("CHATHISTORY"), "461").params[1] == "CHATHISTORY"


async def test_unknown_msgid(harness: Harness) -> None:
    alice, _bob = await room(harness)
    fail = find(await alice.ask("CHATHISTORY BEFORE #h msgid=nosuchid 10"), "FAIL")
    assert fail.params[:4] == ("CHATHISTORY", "INVALID_MSGREFTOKEN", "BEFORE", "msgid=nosuchid")


async def test_history_off() -> None:
    harness = Harness(history=False)
    alice = await harness.user("alice")
    replies = await alice.ask("CHATHISTORY LATEST #h * 10")
    assert find(replies, "421").params[1] == "CHATHISTORY"
    root = await harness.oper("root")
    fail = find(await root.ask("PURGE #h"), "FAIL")
    assert fail.params[:3] == ("PURGE", "HISTORY_OFF", "#h")
    await harness.close()


async def test_labeled_history_nests_its_batch(harness: Harness) -> None:
    alice = await harness.user("alice", caps=(*HISTORY_CAPS, "labeled-response"))
    bob = await harness.user("bob")
    await join("#h", alice, bob)
    await say(bob, "#h", "one")
    alice.lines()
    replies = await alice.ask("@label=h1 CHATHISTORY LATEST #h * 10")
    outer = replies[0]
    assert outer.tags["label"] == "h1" and outer.params[1] == "labeled-response"
    inner = replies[1]
    assert inner.params[1] == "chathistory" and inner.tags["batch"] == outer.params[0][1:]
    assert find(replies, "PRIVMSG").tags["batch"] == inner.params[0][1:]


async def test_purge(harness: Harness) -> None:
    alice, _bob = await room(harness)
    root = await harness.oper("root")
    replies = await root.expect("PURGE #h", "NOTE", "FAIL")
    assert find(replies, "NOTE").params == ("PURGE", "DONE", "#h", "Deleted 5 messages")
    assert await alice.history("LATEST", "#h", "*", "10") == []
    fail = find(await root.ask("PURGE bob"), "FAIL")
    assert fail.params[:3] == ("PURGE", "INVALID_TARGET", "bob")
    assert find(await root.ask("PURGE"), "461")
