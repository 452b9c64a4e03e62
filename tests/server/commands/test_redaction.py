"""REDACT in memory (https://ircv3.net/specs/extensions/message-redaction)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from chatroom.protocol.line import Line
from chatroom.server.config import Config
from chatroom.storage.base import MessageKind, new_msgid, utc_now
from chatroom.storage.memory import MemoryHistoryStore
from support.core import FakeClient, Harness, find, join, params
from support.history import msg

CAPS = ("batch", "server-time", "message-tags", "echo-message", "draft/message-redaction")


async def said(client: FakeClient, target: str, text: str) -> str:
    """Send *text* to *target*; return its msgid (from the echo)."""
    return find(await client.ask(f"PRIVMSG {target} :{text}"), "PRIVMSG").tags["msgid"]


def fails(lines: list[Line]) -> list[tuple[str, ...]]:
    return params(lines, "FAIL")


async def store_of(harness: Harness) -> MemoryHistoryStore:
    assert harness.history is not None
    return harness.history


async def test_the_cap_is_offered(harness: Harness) -> None:
    replies = await harness.connect().ask("CAP LS 302")
    assert "draft/message-redaction" in " ".join(" ".join(p) for p in params(replies, "CAP"))


async def test_a_sender_deletes_their_own_message(harness: Harness) -> None:
    alice = await harness.user("alice", caps=CAPS)
    bob = await harness.user("bob", caps=CAPS)
    plain = await harness.user("carol")
    await join("#room", alice, bob, plain)
    msgid = await said(alice, "#room", "oops")
    bob.lines(), plain.lines()

    replies = await alice.ask(f"REDACT #room {msgid} :typo")
    assert params(replies, "REDACT") == [("#room", msgid, "typo")]
    assert params(bob.lines(), "REDACT") == [("#room", msgid, "typo")]
    assert plain.lines() == []  # no cap: nothing
    tomb = await (await store_of(harness)).message("#room", msgid)
    assert tomb is not None and tomb.kind is MessageKind.REDACT and tomb.text == ""


async def test_someone_elses_message_is_forbidden(harness: Harness) -> None:
    alice = await harness.user("alice", caps=CAPS)
    bob = await harness.user("bob", caps=CAPS)
    await join("#room", alice, bob)  # alice is the operator
    msgid = await said(alice, "#room", "mine")
    replies = await bob.ask(f"REDACT #room {msgid}")
    assert fails(replies) == [
        (
            "REDACT",
            "REDACT_FORBIDDEN",
            "#room",
            msgid,
            "You are not authorised to delete this message",
        )
    ]
    assert params(alice.lines(), "REDACT") == []
    tomb = await (await store_of(harness)).message("#room", msgid)
    assert tomb is not None and tomb.text == "mine"


async def test_a_channel_operator_deletes_any_message(harness: Harness) -> None:
    op = await harness.user("op", caps=CAPS)
    bob = await harness.user("bob", caps=CAPS)
    await join("#room", op, bob)
    msgid = await said(bob, "#room", "spam")
    op.lines()
    assert params(await op.ask(f"REDACT #room {msgid}"), "REDACT") == [("#room", msgid)]
    assert find(bob.lines(), "REDACT").source.startswith("op!")


async def test_an_expired_window_is_refused(harness: Harness) -> None:
    alice = await harness.user("alice", caps=CAPS)
    await join("#room", alice)
    old = msg("#room", text="old", source=alice.session.source, msgid=new_msgid())
    old = replace(old, time=utc_now() - timedelta(seconds=901))
    (await store_of(harness)).append(old)
    replies = await alice.ask(f"REDACT #room {old.msgid}")
    assert [f[:5] for f in fails(replies)] == [
        ("REDACT", "REDACT_WINDOW_EXPIRED", "#room", old.msgid, "900")
    ]


async def test_a_window_of_zero_has_no_limit() -> None:
    harness = Harness(Config(flood_enabled=False, redaction_window=0))
    alice = await harness.user("alice", caps=CAPS)
    await join("#room", alice)
    old = msg("#room", text="old", source=alice.session.source, msgid=new_msgid())
    old = replace(old, time=utc_now() - timedelta(days=400))
    (await store_of(harness)).append(old)
    assert params(await alice.ask(f"REDACT #room {old.msgid}"), "REDACT") == [("#room", old.msgid)]
    await harness.close()


async def test_a_channel_one_has_left_is_refused(harness: Harness) -> None:
    alice = await harness.user("alice", caps=CAPS)
    bob = await harness.user("bob", caps=CAPS)
    await join("#room", bob, alice)
    msgid = await said(alice, "#room", "bye")
    await alice.ask("PART #room")
    replies = await alice.ask(f"REDACT #room {msgid}")
    assert [f[:3] for f in fails(replies)] == [("REDACT", "INVALID_TARGET", "#room")]


async def test_unknown_msgids_and_targets(harness: Harness) -> None:
    alice = await harness.user("alice", caps=CAPS)
    await join("#room", alice)
    msgid = await said(alice, "#room", "hi")
    assert [f[:4] for f in fails(await alice.ask("REDACT #room nosuchid"))] == [
        ("REDACT", "UNKNOWN_MSGID", "#room", "nosuchid")
    ]
    # A msgid of another conversation is unknown in this one.
    assert [f[:4] for f in fails(await alice.ask(f"REDACT bob {msgid}"))] == [
        ("REDACT", "UNKNOWN_MSGID", "bob", msgid)
    ]
    assert [f[:3] for f in fails(await alice.ask(f"REDACT #nowhere {msgid}"))] == [
        ("REDACT", "INVALID_TARGET", "#nowhere")
    ]
    assert [line.command for line in await alice.ask("REDACT #room")] == ["461"]
    await alice.ask(f"REDACT #room {msgid}")
    assert [f[:2] for f in fails(await alice.ask(f"REDACT #room {msgid}"))] == [
        ("REDACT", "UNKNOWN_MSGID")
    ]


async def test_a_private_message_is_deleted_for_both(harness: Harness) -> None:
    alice = await harness.user("alice", caps=CAPS)
    bob = await harness.user("bob", caps=CAPS)
    msgid = await said(alice, "bob", "psst")
    bob.lines()
    assert params(await alice.ask(f"REDACT bob {msgid}"), "REDACT") == [("bob", msgid)]
    assert params(bob.lines(), "REDACT") == [("bob", msgid)]
    # Bob may not delete what alice sent him.
    other = await said(alice, "bob", "again")
    assert [f[1] for f in fails(await bob.ask(f"REDACT alice {other}"))] == ["REDACT_FORBIDDEN"]


async def test_history_replays_a_redact_or_nothing(harness: Harness) -> None:
    alice = await harness.user("alice", caps=CAPS)
    await join("#room", alice)
    keep = await said(alice, "#room", "keep")
    gone = await said(alice, "#room", "gone")
    await alice.ask(f"REDACT #room {gone}")
    playback = await harness.user("pb", caps=(*CAPS, "draft/chathistory", "draft/event-playback"))
    await join("#room", playback)
    lines = await playback.ask("CHATHISTORY LATEST #room * 10")
    shown = [
        (line.command, line.tags.get("msgid"))
        for line in lines
        if line.command in ("PRIVMSG", "REDACT")
    ]
    assert shown == [("PRIVMSG", keep), ("REDACT", gone)]
    assert find(lines, "REDACT").params == ("#room", gone)
    plain = await harness.user("plain", caps=("batch", "draft/chathistory", "draft/event-playback"))
    await join("#room", plain)
    lines = await plain.ask("CHATHISTORY LATEST #room * 10")
    assert [line.params[1] for line in lines if line.command == "PRIVMSG"] == ["keep"]
    assert "REDACT" not in [line.command for line in lines]


async def test_without_history_nothing_can_be_deleted() -> None:
    harness = Harness(history=False)
    alice = await harness.user("alice", caps=CAPS)
    await join("#room", alice)
    assert [f[1] for f in fails(await alice.ask("REDACT #room abc"))] == ["UNKNOWN_MSGID"]
    await harness.close()


async def test_a_storage_failure_is_a_fail_reply(harness: Harness) -> None:
    alice = await harness.user("alice", caps=CAPS)
    await join("#room", alice)
    msgid = await said(alice, "#room", "hi")
    (await store_of(harness)).fail_queries = True
    assert [f[1] for f in fails(await alice.ask(f"REDACT #room {msgid}"))] == [
        "TEMPORARILY_UNAVAILABLE"
    ]
