"""Cluster events survive the trip through JSON; anything else is a ValueError."""

from __future__ import annotations

import pytest

from chatroom.cluster.events import (
    ChannelLine,
    ChannelMessage,
    Event,
    Join,
    Leave,
    NickChange,
    PrivateMessage,
    ProcessGone,
    Quit,
    Resync,
    UserUp,
    decode,
    encode,
)
from chatroom.protocol.line import Line

LINE = Line("PRIVMSG", ("#room", "hi: there"), "a!u@h", {"msgid": "x1", "time": "t"})

EVENTS: list[Event] = [
    ChannelMessage("#room", LINE, "@", False),
    PrivateMessage("bob", LINE, True),
    UserUp("Alice", "Alice!u@h"),
    Join("#room", "alice", "Alice!u@h", "o", "*", "Real Name", Line("JOIN", ("#Room",), "a")),
    Leave("#room", "alice", Line("PART", ("#Room", "bye"), "a")),
    ChannelLine("#room", Line("TOPIC", ("#Room", "new"), "a")),
    Quit("alice", ("#room", "#other"), Line("QUIT", ("Quit",), "a")),
    NickChange("alice", "Al", "Al!u@h", (("#room", "o"),), Line("NICK", ("Al",), "a")),
    ProcessGone("Server shutting down"),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_round_trip(event: Event) -> None:
    assert decode(encode("proc-1", event)) == ("proc-1", event)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[]",
        b"{}",
        b'{"o":"p","t":"nope"}',
        b'{"o":"p","t":"gone"}',
        b'{"o":1,"t":"gone","reason":"x"}',
        b'{"o":"p","t":"leave","channel":"#a","nick":"b","line":[{},null,"PART",[1]]}',
    ],
)
def test_garbage_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode(data)


def test_resync_round_trip() -> None:
    event = Resync(1_700_000_000_123)
    assert decode(encode("proc-1", event)) == ("proc-1", event)
