"""The client core and draft/multiline: a text with line breaks is sent as one batch
when the server offers the cap (as separate lines otherwise), and a received batch,
live or in history, is one message."""

from __future__ import annotations

from chatroom.client.commands import SendMessage
from chatroom.client.multiline import cut
from chatroom.protocol import parse
from support.client_protocol import Harness

CAPS = "batch message-tags draft/multiline"


def with_caps(caps: str, values: str = "draft/multiline=max-bytes=4096,max-lines=100") -> Harness:
    h = Harness()
    h.feed(f":srv CAP * LS :batch message-tags {values}")
    h.feed(f":srv CAP * ACK :{caps}")
    h.register().join()
    h.conn.sent.clear()
    return h


def test_a_pasted_block_is_one_batch_with_long_lines_concatenated() -> None:
    h = with_caps(CAPS)
    long = "word " * 120  # longer than one line
    h.client.submit(f"first\n\n{long}")
    sent = [parse(text) for text in h.conn.texts()]
    assert sent[0].command == "BATCH" and sent[0].params[1:] == ("draft/multiline", "#lobby")
    ref = sent[0].params[0][1:]
    body = sent[1:-1]
    assert sent[-1].params == (f"-{ref}",)
    assert all(line.tags["batch"] == ref for line in body)
    assert [line.params[1] for line in body[:2]] == ["first", ""]
    assert "draft/multiline-concat" not in body[2].tags
    assert all("draft/multiline-concat" in line.tags for line in body[3:])
    assert "".join(line.params[1] for line in body[2:]) == long
    shown = h.client.model.active_buffer.messages[-1]
    assert shown.text == f"first\n\n{long}" and shown.own


def test_one_long_line_is_one_message_of_concatenated_parts() -> None:
    h = with_caps(CAPS)
    long = "éè " * 400  # about 2 kB: several lines' worth
    h.client.submit(long)
    sent = [parse(text) for text in h.conn.texts()]
    assert sent[0].command == "BATCH" and sent[-1].command == "BATCH"
    body = sent[1:-1]
    assert len(body) > 2 and "draft/multiline-concat" not in body[0].tags
    assert all("draft/multiline-concat" in line.tags for line in body[1:])
    assert "".join(line.params[1] for line in body) == long
    # Without the cap: several messages, as before.
    plain = with_caps("batch message-tags")
    plain.client.submit(long)
    assert [line.command for line in map(parse, plain.conn.texts())] == ["PRIVMSG"] * len(body)


def test_without_the_cap_or_over_the_limits_each_line_is_a_message() -> None:
    h = with_caps("batch message-tags")
    h.client.submit("one\ntwo\r\nthree")
    assert h.conn.texts() == [
        "PRIVMSG #lobby :one",
        "PRIVMSG #lobby :two",
        "PRIVMSG #lobby :three",
    ]
    small = with_caps(CAPS, "draft/multiline=max-bytes=4096,max-lines=2")
    small.client.submit("one\ntwo\nthree")  # three lines, two allowed
    assert [t.split(" ")[0] for t in small.conn.texts()] == ["PRIVMSG"] * 3


def test_a_received_batch_is_one_message() -> None:
    h = with_caps(CAPS)
    h.feed(
        "@msgid=m1;time=2026-11-25T10:00:00.000Z :bob!~b@h BATCH +x draft/multiline #lobby",
        "@batch=x :bob!~b@h PRIVMSG #lobby :line one",
        "@batch=x :bob!~b@h PRIVMSG #lobby :line two, ",
        "@batch=x;draft/multiline-concat :bob!~b@h PRIVMSG #lobby :continued",
        ":bob!~b@h BATCH -x",
    )
    messages = h.client.model.active_buffer.messages
    assert (messages[-1].text, messages[-1].msgid, messages[-1].sender) == (
        "line one\nline two, continued",
        "m1",
        "bob",
    )
    assert messages[-2].text != "line two, "


def test_a_multiline_message_in_history_is_one_message() -> None:
    h = with_caps(CAPS)
    h.feed(
        ":srv BATCH +h chathistory #lobby",
        "@batch=h;msgid=m1;time=2026-11-25T10:00:00.000Z :bob!~b@h BATCH +x draft/multiline #lobby",
        "@batch=x :bob!~b@h PRIVMSG #lobby :a",
        "@batch=x :bob!~b@h PRIVMSG #lobby :b",
        "@batch=h :bob!~b@h BATCH -x",
        "@batch=h;msgid=m2;time=2026-11-25T10:01:00.000Z :bob!~b@h PRIVMSG #lobby :after",
        ":srv BATCH -h",
    )
    texts = [m.text for m in h.client.model.active_buffer.messages if m.sender == "bob"]
    assert texts == ["a\nb", "after"]


def test_cut_keeps_every_character() -> None:
    text = "é" * 30 + " " + "x" * 50
    pieces = cut(text, 20)
    assert "".join(pieces) == text and all(len(p.encode()) <= 20 for p in pieces)
    assert cut("", 20) == [""]


def test_a_multiline_reply_carries_the_reply_tag_on_the_batch() -> None:
    h = with_caps("batch message-tags draft/multiline")
    h.client.perform(SendMessage(None, "line one\nline two", reply_to="abc"))
    sent = [parse(text) for text in h.conn.texts()]
    assert sent[0].command == "BATCH" and sent[0].tags == {"+draft/reply": "abc"}
    assert [line.params[-1] for line in sent[1:-1]] == ["line one", "line two"]
    assert all("+draft/reply" not in line.tags for line in sent[1:])
