"""Several envelopes in one publish: the writer joins neighbours to one pub/sub
channel, and the reader splits them again (any bad byte refuses the whole message)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroom.cluster.events import decode, encode, split
from chatroom.cluster.writer import BUNDLE, _Commands
from chatroom.protocol.line import Line
from chatroom.server.network.events import ChannelMessage


def _message(n: int) -> bytes:
    line = Line("PRIVMSG", ("#c", f"text {n}"), "a!u@h", {"time": "2026-12-05T10:00:00.000Z"})
    return encode("h:1:0123456789", n, ChannelMessage("#c", line))


@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=20))
def test_envelopes_back_to_back_split_into_each_in_order(numbers: list[int]) -> None:
    envelopes = [_message(n) for n in numbers]
    parts = split(b"".join(envelopes))
    assert parts == envelopes
    assert [decode(part)[1] for part in parts] == numbers


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xc1",
        _message(1)[:-1],
        _message(1) + _message(2)[:5],
        b"hello",  # every ASCII byte is a msgpack integer: refused whole, not per byte
        b"\x93\xa3not ours",
        _message(1) + b"\x01",
    ],
    ids=["empty", "not-msgpack", "cut", "second-cut", "text", "array-then-text", "then-int"],
)
def test_a_cut_or_bad_message_is_refused_whole(data: bytes) -> None:
    with pytest.raises(ValueError):
        split(data)


def test_neighbours_to_one_channel_share_a_publish_and_order_holds() -> None:
    commands = _Commands()
    commands.publish("chatroom:{#a}", b"1")
    commands.publish("chatroom:{#a}", b"2")
    commands.publish("chatroom:proc:x", b"3")
    commands.publish("chatroom:{#a}", b"4")  # not a neighbour of 1 and 2: its own
    commands.spublish("chatroom:{#a}", b"5")  # another command: its own
    assert commands.commands() == [
        ("PUBLISH", "chatroom:{#a}", b"12"),
        ("PUBLISH", "chatroom:proc:x", b"3"),
        ("PUBLISH", "chatroom:{#a}", b"4"),
        ("SPUBLISH", "chatroom:{#a}", b"5"),
    ]


def test_a_bundle_stops_growing_past_its_size() -> None:
    commands = _Commands()
    big = b"x" * (BUNDLE // 2)
    for _ in range(5):
        commands.publish("chatroom:{#a}", big)
    sizes = [len(data) for _command, _channel, data in commands.commands()]
    assert sizes == [2 * len(big), 2 * len(big), len(big)]  # full at BUNDLE bytes
    alone = _Commands()
    alone.publish("chatroom:{#a}", b"x")
    alone.publish("chatroom:{#a}", b"y" * BUNDLE)  # would pass the size: goes alone
    assert [len(data) for _c, _n, data in alone.commands()] == [1, BUNDLE]
