"""The response buffer: labels, ACK and labeled-response batches."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from chatroom.protocol.line import Line
from chatroom.server.response import ResponseBuffer


def session(*caps: str) -> Any:
    sent: list[Line] = []
    return SimpleNamespace(
        caps=set(caps),
        nick="me",
        server=SimpleNamespace(config=SimpleNamespace(name="srv")),
        send_line=sent.append,
        sent=sent,
    )


def test_without_label_lines_go_as_they_are() -> None:
    s = session()
    rb = ResponseBuffer(s, "ignored-without-cap")
    rb.reply("001", "hi")
    rb.send()
    assert s.sent == [Line("001", ("me", "hi"), "srv")]


def test_label_with_no_reply_is_ack() -> None:
    s = session("labeled-response", "batch")
    ResponseBuffer(s, "L").send()
    assert s.sent == [Line("ACK", (), "srv", {"label": "L"})]


def test_label_on_single_line() -> None:
    s = session("labeled-response", "batch")
    rb = ResponseBuffer(s, "L")
    rb.reply("303", "a b")
    rb.send()
    assert s.sent == [Line("303", ("me", "a b"), "srv", {"label": "L"})]


def test_several_lines_become_a_batch_and_nested_batches_keep_their_tag() -> None:
    s = session("labeled-response", "batch")
    rb = ResponseBuffer(s, "L")
    rb.reply("311", "x")
    inner = rb.start_batch("chathistory", "#c")
    assert inner is not None
    rb.add(Line("PRIVMSG", ("#c", "old"), "a!b@c"))
    rb.end_batch(inner)
    rb.send()
    outer = s.sent[0]
    assert outer.command == "BATCH" and outer.tags == {"label": "L"}
    ref = outer.params[0][1:]
    assert s.sent[1].tags == {"batch": ref}
    assert s.sent[2].params[1] == "chathistory" and s.sent[2].tags["batch"] == ref
    assert s.sent[3].tags["batch"] == inner
    assert s.sent[-1] == Line("BATCH", (f"-{ref}",), "srv")


async def test_a_deferred_answer_is_sent_and_the_session_goes_on_even_if_work_fails() -> None:
    tasks: list[asyncio.Task[None]] = []
    s = session()
    s.blocked, s.closed, s.source = 0, False, "me!u@h"
    s.unblock = lambda: setattr(s, "blocked", s.blocked - 1)
    s.server.spawn = lambda coro: tasks.append(asyncio.ensure_future(coro))

    async def fails() -> None:
        raise RuntimeError("boom")

    rb = ResponseBuffer(s, None, "WHOIS")
    rb.defer(fails, block=True)
    assert rb.deferred and s.blocked == 1 and s.sent == []
    await asyncio.gather(*tasks)
    assert s.blocked == 0
    assert s.sent == [
        Line("FAIL", ("WHOIS", "INTERNAL_ERROR", "Something went wrong on the server"), "srv")
    ]
