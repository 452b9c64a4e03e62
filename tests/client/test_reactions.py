"""Replies and reactions in the client core (https://ircv3.net/specs/client-tags/reply,
https://ircv3.net/specs/client-tags/react): the model, lines in (live and from
history), and /reply and /react out. No network."""

from __future__ import annotations

from chatroom.client.commands import Problem, React, ReplyTo, parse_input
from chatroom.client.events import ReactionsChanged
from chatroom.client.model import Buffer, BufferKind, MessageKind
from chatroom.client.protocol import ClientProtocol
from chatroom.client.reactions import MAX_MESSAGES, apply, summary
from chatroom.protocol import parse
from support.client_protocol import chatting, sent


def changes(protocol: ClientProtocol) -> list[ReactionsChanged]:
    return [e for e in protocol.events_received() if isinstance(e, ReactionsChanged)]


def test_counts_per_reaction_who_gave_them_and_undo() -> None:
    buffer = Buffer("#room", BufferKind.CHANNEL)
    assert apply(buffer, "m1", "👍", "alice", True)
    assert apply(buffer, "m1", "👍", "Bob", True)
    assert not apply(buffer, "m1", "👍", "ALICE", True)  # once per person
    assert apply(buffer, "m1", "🎉", "bob", True)
    shown = summary(buffer, "m1", "bob")
    assert [(r.text, r.count, r.mine) for r in shown] == [("👍", 2, True), ("🎉", 1, True)]
    assert apply(buffer, "m1", "🎉", "BOB", False)
    assert not apply(buffer, "m1", "🎉", "bob", False)
    assert [r.text for r in summary(buffer, "m1", "me")] == ["👍"]
    assert summary(buffer, "other", "me") == ()


def test_reactions_kept_are_bounded() -> None:
    buffer = Buffer("#room", BufferKind.CHANNEL)
    for i in range(MAX_MESSAGES + 5):
        apply(buffer, f"m{i}", "x", "alice", True)
    assert len(buffer.reactions) == MAX_MESSAGES and "m0" not in buffer.reactions


def test_live_reactions_and_replies() -> None:
    protocol = chatting()
    protocol.receive_line(parse("@msgid=m1 :alice!a@h PRIVMSG #room :lunch?"))
    protocol.receive_line(parse("@msgid=m2;+draft/reply=m1 :bob!b@h PRIVMSG #room :yes"))
    newest = protocol.model.active_buffer.messages[-1]
    assert newest.reply_to == "m1" and newest.text == "yes"
    protocol.events_received()
    protocol.receive_line(parse("@+draft/reply=m1;+draft/react=👍 :bob!b@h TAGMSG #room"))
    protocol.receive_line(parse("@+draft/reply=m1;+draft/react=👍 :me!u@h TAGMSG #room"))
    (first, second) = changes(protocol)
    assert first.buffer == "#room" and first.msgid == "m1"
    assert second.reactions[0].count == 2 and second.reactions[0].mine
    protocol.receive_line(parse("@+draft/reply=m1;+draft/unreact=👍 :bob!b@h TAGMSG #room"))
    assert changes(protocol)[0].reactions[0].nicks == ("me",)
    # A reaction in a private chat not open does not open one.
    protocol.receive_line(parse("@+draft/reply=x;+draft/react=👍 :carol!c@h TAGMSG me"))
    assert changes(protocol) == [] and protocol.model.get("carol") is None


def test_reactions_replayed_from_history() -> None:
    protocol = chatting(("message-tags", "batch", "server-time", "draft/chathistory"))
    for text in (
        ":srv BATCH +b1 chathistory #room",
        "@batch=b1;msgid=m1;time=2026-01-01T00:00:00.000Z :alice!a@h PRIVMSG #room :hi",
        "@batch=b1;msgid=t1;time=2026-01-01T00:00:01.000Z :alice!a@h JOIN #room",
        "@batch=b1;msgid=t2;time=2026-01-01T00:00:02.000Z;+draft/reply=m1;+draft/react=🎉 "
        ":bob!b@h TAGMSG #room",
        ":srv BATCH -b1",
    ):
        protocol.receive_line(parse(text))
    buffer = protocol.model.active_buffer
    assert [m.text for m in buffer.messages if m.msgid] == ["hi"]  # the JOIN is skipped
    assert [r.text for r in summary(buffer, "m1", "me")] == ["🎉"]


def test_reply_and_react_commands() -> None:
    assert parse_input("/reply alice sure thing") == ReplyTo("alice", "sure thing")
    assert isinstance(parse_input("/reply alice"), Problem)
    assert isinstance(parse_input("/react"), Problem)
    assert parse_input("/react 👍") == React("👍", "")
    assert parse_input("/react 👍 m1") == React("👍", "m1")
    protocol = chatting()
    protocol.submit("/react 👍")
    assert protocol.model.active_buffer.messages[-1].kind is MessageKind.ERROR
    protocol.receive_line(parse("@msgid=abc123 :alice!a@h PRIVMSG #room :lunch?"))
    protocol.receive_line(parse("@msgid=def456 :bob!b@h PRIVMSG #room :tea?"))
    protocol.submit("/reply alice yes please")
    assert sent(protocol) == ["@+draft/reply=abc123 PRIVMSG #room :yes please"]
    assert protocol.model.active_buffer.messages[-1].reply_to == "abc123"
    protocol.submit("/react 👍")  # the newest message from someone else: bob's
    assert sent(protocol) == ["@+draft/reply=def456;+draft/react=👍 TAGMSG #room"]
    protocol.receive_line(parse("@+draft/reply=abc123;+draft/react=🎉 :me!u@h TAGMSG #room"))
    protocol.submit("/react 🎉 abc1")  # given already: taken back
    assert sent(protocol) == ["@+draft/reply=abc123;+draft/unreact=🎉 TAGMSG #room"]
