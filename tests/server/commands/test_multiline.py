"""Multiline messages in memory (https://ircv3.net/specs/extensions/multiline): the cap
value, the batch relayed as a batch and as separate lines, each FAIL BATCH code with
nothing relayed, and history keeping the message as one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chatroom.protocol.line import Line
from chatroom.server.config import Config
from chatroom.storage.base import Latest
from support.core import FakeClient, Harness, commands, join, params

ML = ("batch", "message-tags", "draft/multiline")
PASTE = (
    "BATCH +p draft/multiline #c",
    "@batch=p PRIVMSG #c :Traceback (most recent call last):",
    "@batch=p PRIVMSG #c :",
    "@batch=p PRIVMSG #c :  File x, line 1, in ",
    "@batch=p;draft/multiline-concat PRIVMSG #c :<module>",
    "BATCH -p",
)


@pytest.fixture
async def small() -> AsyncIterator[Harness]:
    """A server whose multiline limits are 3 lines and 20 bytes."""
    made = Harness(Config(flood_enabled=False, multiline_max_lines=3, multiline_max_bytes=20))
    yield made
    await made.close()


async def send(client: FakeClient, *lines: str) -> list[Line]:
    """Send ``lines`` at once; return the replies."""
    return await client.ask("\r\n".join(lines))


async def test_cap_value_gives_the_limits(harness: Harness) -> None:
    client = harness.connect()
    ls = " ".join(p[-1] for p in params(await client.ask("CAP LS 302"), "CAP"))
    assert "draft/multiline=max-bytes=4096,max-lines=100" in ls.split()


async def test_relayed_as_a_batch_with_the_cap_and_as_lines_without(harness: Harness) -> None:
    alice = await harness.user("alice", caps=(*ML, "echo-message"))
    bob = await harness.user("bob", caps=ML)
    carol = await harness.user("carol", caps=("message-tags",))
    await join("#c", alice, bob, carol)
    echoed = await send(alice, *PASTE)
    got = bob.lines()
    assert commands(got) == ["BATCH", "PRIVMSG", "PRIVMSG", "PRIVMSG", "PRIVMSG", "BATCH"]
    opening = got[0]
    ref = opening.params[0][1:]
    assert opening.params[1:] == ("draft/multiline", "#c") and "msgid" in opening.tags
    assert opening.source == "alice!~alice@10.0.0.1"
    assert [line.tags.get("batch") for line in got[1:5]] == [ref] * 4
    assert [line.params[1] for line in got[1:5]] == [
        "Traceback (most recent call last):",
        "",
        "  File x, line 1, in ",
        "<module>",
    ]
    assert "draft/multiline-concat" in got[4].tags and got[5].params == (f"-{ref}",)
    plain = carol.lines()
    assert [p[1] for p in params(plain, "PRIVMSG")] == [
        "Traceback (most recent call last):",
        "  File x, line 1, in ",
        "<module>",
    ]  # no blank line, each part a line of its own
    assert plain[0].tags["msgid"] == opening.tags["msgid"]
    assert "msgid" not in plain[1].tags
    assert commands(echoed)[0] == "BATCH" and echoed[0].tags["msgid"] == opening.tags["msgid"]


async def test_private_multiline_message(harness: Harness) -> None:
    alice = await harness.user("alice", caps=ML)
    bob = await harness.user("bob")
    assert (
        await send(
            alice, "BATCH +a draft/multiline bob", *_lines("a", "bob", "one", "two"), "BATCH -a"
        )
        == []
    )
    assert params(bob.lines(), "PRIVMSG") == [("bob", "one"), ("bob", "two")]


def _lines(ref: str, target: str, *texts: str) -> list[str]:
    return [f"@batch={ref} PRIVMSG {target} :{text}" for text in texts]


async def _refused(harness: Harness, *lines: str) -> list[tuple[str, ...]]:
    """Send ``lines`` from alice to #c; return her FAIL replies, after checking that bob
    got nothing and that alice can still talk."""
    alice = await harness.user("alice", caps=ML)
    bob = await harness.user("bob", caps=ML)
    await join("#c", alice, bob)
    fails = params(await send(alice, *lines), "FAIL")
    assert bob.lines() == []
    await alice.ask("PRIVMSG #c :still here")
    assert params(bob.lines(), "PRIVMSG") == [("#c", "still here")]
    return fails


async def test_too_many_lines(small: Harness) -> None:
    lines = _lines("x", "#c", "1", "2", "3", "4", "5")
    fails = await _refused(small, "BATCH +x draft/multiline #c", *lines, "BATCH -x")
    assert [f[:3] for f in fails] == [("BATCH", "MULTILINE_MAX_LINES", "3")]  # once


async def test_too_many_bytes(small: Harness) -> None:
    lines = _lines("x", "#c", "0123456789", "0123456789")  # 21 bytes with the line break
    fails = await _refused(small, "BATCH +x draft/multiline #c", *lines, "BATCH -x")
    assert [f[:3] for f in fails] == [("BATCH", "MULTILINE_MAX_BYTES", "20")]


async def test_a_line_to_another_target(harness: Harness) -> None:
    lines = [*_lines("x", "#c", "one"), *_lines("x", "bob", "two")]
    fails = await _refused(harness, "BATCH +x draft/multiline #c", *lines, "BATCH -x")
    assert [f[:4] for f in fails] == [("BATCH", "MULTILINE_INVALID_TARGET", "#c", "bob")]


@pytest.mark.parametrize(
    "lines",
    [
        ["@batch=x TAGMSG #c", *_lines("x", "#c", "one")],  # not a message
        [*_lines("x", "#c", "one"), "@batch=x NOTICE #c :two"],  # verbs mixed
        ["@batch=x;draft/multiline-concat PRIVMSG #c :"],  # a blank concatenated line
        _lines("x", "#c", "", ""),  # nothing but blank lines
        [],  # no line at all
    ],
)
async def test_invalid_batches(harness: Harness, lines: list[str]) -> None:
    fails = await _refused(harness, "BATCH +x draft/multiline #c", *lines, "BATCH -x")
    assert [f[:2] for f in fails] == [("BATCH", "MULTILINE_INVALID")]


@pytest.mark.parametrize(
    "lines",
    [
        ["BATCH -x"],  # never opened
        ["BATCH +x chathistory #c", *_lines("x", "#c", "one"), "BATCH -x"],  # another type
        [*_lines("y", "#c", "one")],  # a line of no open batch
        ["BATCH x"],
    ],
)
async def test_batches_that_are_not_open(harness: Harness, lines: list[str]) -> None:
    fails = await _refused(harness, *lines)
    assert fails and all(f[:2] == ("BATCH", "MULTILINE_INVALID") for f in fails)


async def test_without_the_cap_a_batch_is_refused(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("batch",))
    bob = await harness.user("bob")
    await join("#c", alice, bob)
    fails = params(await send(alice, "BATCH +x draft/multiline #c", "BATCH -x"), "FAIL")
    assert fails and fails[0][:2] == ("BATCH", "MULTILINE_INVALID")
    assert bob.lines() == []


async def test_history_keeps_one_message_and_replays_it(harness: Harness) -> None:
    alice = await harness.user("alice", caps=ML)
    bob = await harness.user("bob", caps=ML)
    carol = await harness.user("carol", caps=("batch", "message-tags"))
    await join("#c", alice, bob, carol)
    await send(alice, *PASTE)
    assert harness.history is not None
    stored = await harness.history.query(Latest("#c", 10))
    texts = [m.text for m in stored if m.kind.value == "PRIVMSG"]
    assert texts == ["Traceback (most recent call last):\n\n  File x, line 1, in <module>"]
    bob.lines(), carol.lines()
    whole = await bob.ask("CHATHISTORY LATEST #c * 10")
    outer, replay = whole[0].params[0][1:], whole[1:-1]
    assert commands(replay) == ["BATCH", "PRIVMSG", "PRIVMSG", "PRIVMSG", "BATCH"]
    assert replay[0].params[1:] == ("draft/multiline", "#c") and "msgid" in replay[0].tags
    inner = replay[0].params[0][1:]
    assert [line.tags["batch"] for line in replay] == [outer, inner, inner, inner, outer]
    assert [p[1] for p in params(replay, "PRIVMSG")] == [
        "Traceback (most recent call last):",
        "",
        "  File x, line 1, in <module>",
    ]
    plain = (await carol.ask("CHATHISTORY LATEST #c * 10"))[1:-1]
    assert [p[1] for p in params(plain, "PRIVMSG")] == [
        "Traceback (most recent call last):",
        "  File x, line 1, in <module>",
    ]


async def test_flood_control_counts_each_line() -> None:
    """A batch of more lines than the burst waits like as many PRIVMSGs would."""
    harness = Harness(Config(flood_burst=20, flood_rate=0.01))
    try:
        alice = await harness.user("alice", caps=ML)
        bob = await harness.user("bob", caps=ML)
        await join("#c", alice, bob)
        short = _lines("s", "#c", "one", "two")
        assert await send(alice, "BATCH +s draft/multiline #c", *short, "BATCH -s") == []
        assert commands(bob.lines()) == ["BATCH", "PRIVMSG", "PRIVMSG", "BATCH"]
        long = _lines("l", "#c", *(f"line {i}" for i in range(30)))
        assert await send(alice, "BATCH +l draft/multiline #c", *long, "BATCH -l") == []
        assert bob.lines() == []  # not relayed yet: alice's lines wait for tokens
    finally:
        await harness.close()
