"""CHATHISTORY and PURGE in memory (https://ircv3.net/specs/extensions/chathistory).

Who may read private conversations as nicks change hands is tested in
``tests/server/test_private_history.py``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from chatroom.protocol.line import Line
from chatroom.server.outgoing import format_time
from support.core import FakeClient, Harness, commands, find, join, params, say, texts, until

HISTORY_CAPS = ("batch", "server-time", "message-tags", "draft/chathistory")
EPOCH = "timestamp=2000-01-01T00:00:00.000Z"
FUTURE = "timestamp=2100-01-01T00:00:00.000Z"


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


async def test_refused_targets_are_invalid_targets(harness: Harness) -> None:
    # The draft: a channel that does not exist or that the user may not read is
    # FAIL CHATHISTORY INVALID_TARGET; the same for both, so nothing is revealed.
    _alice, bob = await room(harness)
    carol = await harness.user("carol", caps=HISTORY_CAPS)
    for asker, line in (
        (carol, "CHATHISTORY LATEST #h * 10"),  # not a member
        (carol, "CHATHISTORY BEFORE #nowhere timestamp=2020-01-01T00:00:00Z 10"),
    ):
        replies = await asker.ask(line)
        assert commands(replies) == ["FAIL"], line
        assert replies[0].params == (
            "CHATHISTORY",
            "INVALID_TARGET",
            line.split()[1],
            line.split()[2],
            "Messages could not be retrieved",
        )
    await bob.ask("PART #h")
    assert params(await bob.ask("CHATHISTORY LATEST #h * 10"), "FAIL")[0][1] == "INVALID_TARGET"


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


async def reacted(harness: Harness) -> FakeClient:
    """#h with bob's one to five, alice's three reactions to each (newest last) and
    then her reply to "five"; returns alice."""
    alice, _bob = await room(harness)
    lines = await alice.ask("CHATHISTORY LATEST #h * 5")
    ids = [line.tags["msgid"] for line in lines if line.command == "PRIVMSG"]
    for msgid in ids:
        for emoji in ("👍", "🎉", "👀"):
            await alice.ask(f"@+draft/reply={msgid};+draft/react={emoji} TAGMSG #h")
    await alice.ask(f"@+draft/reply={ids[-1]} PRIVMSG #h :a reply")
    assert harness.history is not None
    await harness.history.flush()
    return alice


async def test_without_event_playback_reactions_do_not_take_the_place_of_messages(
    harness: Harness,
) -> None:
    alice = await reacted(harness)
    # Spec: without draft/event-playback only PRIVMSG and NOTICE; the limit counts those
    # (the 15 reactions stored among them neither show nor shorten the page).
    replies = await alice.ask("CHATHISTORY LATEST #h * 3")
    assert [line.command for line in replies if "batch" in line.tags] == ["PRIVMSG"] * 3
    assert texts(replies) == ["four", "five", "a reply"]
    # The reply carries its +draft/reply, so a client can still quote it.
    five, reply = replies[-3], replies[-2]
    assert reply.tags["+draft/reply"] == five.tags["msgid"]
    anchor = f"msgid={five.tags['msgid']}"
    assert await alice.history("BEFORE", "#h", anchor, "2") == ["three", "four"]


async def test_with_event_playback_reactions_ride_along_uncounted(harness: Harness) -> None:
    alice = await reacted(harness)
    await alice.ask("CAP REQ draft/event-playback")
    replies = await alice.ask("CHATHISTORY LATEST #h * 4")
    replayed = [line for line in replies if "batch" in line.tags]
    # Four messages, as asked; the 15 reactions said among them come too, not counted.
    assert texts(replies) == ["three", "four", "five", "a reply"]
    reactions = [line for line in replayed if line.command == "TAGMSG"]
    assert [line.tags["+draft/react"] for line in reactions] == ["👍", "🎉", "👀"] * 5
    assert [line.command for line in replayed] == ["PRIVMSG"] * 3 + ["TAGMSG"] * 15 + ["PRIVMSG"]


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
    # The draft's code, not one of our own (it was INVALID_MSGREFTOKEN).
    assert fail.params[:4] == ("CHATHISTORY", "INVALID_PARAMS", "BEFORE", "msgid=nosuchid")


async def test_history_off() -> None:
    harness = Harness(history=False)
    alice = await harness.user("alice")
    replies = await alice.ask("CHATHISTORY LATEST #h * 10")
    assert find(replies, "421").params[1] == "CHATHISTORY"
    root = await harness.oper("root")
    fail = find(await root.ask("PURGE #h"), "FAIL")
    assert fail.params[:3] == ("PURGE", "HISTORY_OFF", "#h")
    await harness.close()


async def test_labeled_history_carries_the_label_on_its_batch(harness: Harness) -> None:
    # Issue 17: nested in a labeled-response batch, the history was dropped by
    # irc-framework (Kiwi IRC). labeled-response allows the label on the batch itself.
    alice = await harness.user("alice", caps=(*HISTORY_CAPS, "labeled-response"))
    bob = await harness.user("bob")
    await join("#h", alice, bob)
    await say(bob, "#h", "one", "two")
    alice.lines()
    replies = await alice.ask("@label=h1 CHATHISTORY LATEST #h * 10")
    assert commands(replies) == ["BATCH", "PRIVMSG", "PRIVMSG", "BATCH"]
    opened = replies[0]
    assert opened.tags["label"] == "h1" and opened.params[1:] == ("chathistory", "#h")
    assert {line.tags["batch"] for line in replies[1:3]} == {opened.params[0][1:]}
    assert replies[3].params == ("-" + opened.params[0][1:],) and "label" not in replies[3].tags
    # An empty history too; a failure is one labeled FAIL.
    await alice.ask("JOIN #empty")
    alice.lines()
    replies = await alice.ask("@label=h2 CHATHISTORY LATEST #empty * 10")
    assert commands(replies) == ["BATCH", "BATCH"] and replies[0].tags["label"] == "h2"
    replies = await alice.ask("@label=h3 CHATHISTORY LATEST #nowhere * 10")
    assert commands(replies) == ["FAIL"] and replies[0].tags["label"] == "h3"


async def test_purge(harness: Harness) -> None:
    alice, _bob = await room(harness)
    root = await harness.oper("root")
    replies = await root.expect("PURGE #h", "NOTE", "FAIL")
    # The five messages and the two JOINs (kept for draft/event-playback).
    assert find(replies, "NOTE").params == ("PURGE", "DONE", "#h", "Deleted 7 messages")
    assert await alice.history("LATEST", "#h", "*", "10") == []
    fail = find(await root.ask("PURGE bob"), "FAIL")
    assert fail.params[:3] == ("PURGE", "INVALID_TARGET", "bob")
    assert find(await root.ask("PURGE"), "461")


async def test_private_history_with_and_without_an_account(harness: Harness) -> None:
    # Issue 17: the logged-in party of a conversation with a user who has no account
    # must read it too.
    alice = await harness.user("alice", "REGISTER * * :a good password", caps=HISTORY_CAPS)
    bob = await harness.user("bob", caps=HISTORY_CAPS)
    await say(alice, "bob", "hi bob")
    await say(bob, "alice", "hi alice")
    assert await alice.history("LATEST", "bob", "*", "10") == ["hi bob", "hi alice"]
    assert await bob.history("LATEST", "alice", "*", "10") == ["hi bob", "hi alice"]


async def test_messages_to_oneself_are_kept(harness: Harness) -> None:
    alice = await harness.user("alice", caps=HISTORY_CAPS)
    await say(alice, "ALICE", "note to self")
    assert await alice.history("LATEST", "alice", "*", "10") == ["note to self"]
    assert await alice.targets() == ["alice"]


async def test_targets_lists_latest_times_in_order_inside_the_window(harness: Harness) -> None:
    alice = await harness.user("alice", caps=HISTORY_CAPS)
    await harness.user("bob")
    await join("#a", alice)
    await join("#b", alice)
    await say(alice, "#a", "a1")
    await say(alice, "bob", "b1")
    await say(alice, "#b", "c1")
    await asyncio.sleep(0.01)
    middle = format_time(datetime.now(UTC))
    await asyncio.sleep(0.01)
    await say(alice, "#a", "a2")
    alice.lines()

    def listed(replies: list[Line]) -> list[str]:
        return [p[1] for p in params(replies, "CHATHISTORY")]

    everything = params(await alice.ask(f"CHATHISTORY TARGETS {EPOCH} {FUTURE} 10"), "CHATHISTORY")
    assert [p[1] for p in everything] == ["bob", "#b", "#a"]  # by latest message
    stamps = [p[2] for p in everything]
    assert stamps == sorted(stamps) and stamps[-1] > middle
    # Only what was active inside the window, with its latest time inside it.
    late = await alice.ask(f"CHATHISTORY TARGETS timestamp={middle} {FUTURE} 10")
    assert listed(late) == ["#a"]
    early = params(
        await alice.ask(f"CHATHISTORY TARGETS {EPOCH} timestamp={middle} 10"), "CHATHISTORY"
    )
    assert [p[1] for p in early] == ["#a", "bob", "#b"]
    assert all(p[2] < middle for p in early)


# --- draft/event-playback -------------------------------------------------------------------------

PLAYBACK_CAPS = (*HISTORY_CAPS, "draft/event-playback")
EVENTS = ("JOIN", "PART", "QUIT", "KICK", "MODE", "TOPIC", "NICK")


def shown(lines: list[Line]) -> list[tuple[str, tuple[str, ...], str | None, str]]:
    """Events and messages as a client sees them: command, params, source and time."""
    return [
        (line.command, line.params, line.source, line.tags["time"])
        for line in lines
        if line.command in (*EVENTS, "PRIVMSG")
    ]


async def lively(harness: Harness, *caps: str) -> tuple[FakeClient, list[Line]]:
    """alice (with *caps*) watches #ev live while bob, carol and dave come and go;
    bob is in #two too. Returns alice and the lines she saw, her own echoes included."""
    alice = await harness.user("alice", caps=caps)
    bob = await harness.user("bob")
    carol = await harness.user("carol")
    dave = await harness.user("dave")
    seen = await alice.ask("JOIN #ev")
    await join("#ev", bob, carol, dave)
    await bob.ask("JOIN #two")
    for line in ("TOPIC #ev :a topic", "MODE #ev +v bob", "KICK #ev carol :go"):
        await asyncio.sleep(0.002)
        seen += await alice.ask(line)
    for client, line in ((bob, "NICK bobby"), (bob, "PRIVMSG #ev :hi"), (dave, "PART #ev :bye")):
        await asyncio.sleep(0.002)
        await client.ask(line)
    bob.send("QUIT :gone")
    await until(lambda: harness.server.find_user("bobby") is None)
    assert harness.history is not None
    await harness.history.flush()
    return alice, seen + alice.lines()


async def test_event_playback_replays_events_as_they_were_relayed(harness: Harness) -> None:
    alice, seen = await lively(harness, *PLAYBACK_CAPS)
    replies = await alice.ask("CHATHISTORY LATEST #ev * 50")
    replayed = [line for line in replies if "batch" in line.tags]
    assert [line.command for line in replayed] == [
        "JOIN", "JOIN", "JOIN", "JOIN", "TOPIC", "MODE", "KICK", "NICK", "PRIVMSG", "PART",
        "QUIT",
    ]  # fmt: skip
    # The same lines, sources and times as relayed live, each with a msgid of its own.
    assert shown(replayed) == shown(seen)
    assert len({line.tags["msgid"] for line in replayed}) == len(replayed)
    # QUIT and NICK belong to every channel the user was in.
    bob = await harness.user("bob2", caps=PLAYBACK_CAPS)
    await bob.ask("JOIN #two")
    two = [line for line in await bob.ask("CHATHISTORY LATEST #two * 50") if "batch" in line.tags]
    assert [(line.command, line.params) for line in two][1:3] == [
        ("NICK", ("bobby",)),
        ("QUIT", ("Quit: gone",)),
    ]


async def test_without_event_playback_no_event_is_replayed(harness: Harness) -> None:
    alice, _seen = await lively(harness, *HISTORY_CAPS)
    replies = await alice.ask("CHATHISTORY LATEST #ev * 50")
    assert [line.command for line in replies if "batch" in line.tags] == ["PRIVMSG"]
    # The limit counts messages: the one message, though events came after it.
    assert await alice.history("LATEST", "#ev", "*", "1") == ["hi"]


async def test_event_playback_is_offered_with_history_only() -> None:
    for history in (True, False):
        harness = Harness(history=history)
        client = harness.connect()
        ls = " ".join(line.params[-1] for line in await client.ask("CAP LS 302"))
        assert ("draft/event-playback" in ls.split()) is history
        await harness.close()


async def test_a_channel_key_is_not_kept_in_history(harness: Harness) -> None:
    """Who joins later (after the key changed, say) must not read it in a replayed MODE."""
    alice = await harness.user("alice", caps=PLAYBACK_CAPS)
    await alice.ask("JOIN #locked")
    await alice.ask("MODE #locked +lk 10 s3cret")
    await alice.ask("MODE #locked -k s3cret")
    replies = await alice.ask("CHATHISTORY LATEST #locked * 50")
    modes = [line.params[1:] for line in replies if line.command == "MODE"]
    assert modes == [("+lk", "10", "*"), ("-k", "*")]
    assert not any("s3cret" in " ".join(line.params) for line in replies)
