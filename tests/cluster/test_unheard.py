"""Messages nobody else can hear: kept a moment, handed back when someone joins."""

from __future__ import annotations

from chatroom.cluster.unheard import HOLD, PER_CHANNEL, PRUNE_EVERY, Unheard
from chatroom.protocol.line import Line
from chatroom.server.network.events import ChannelMessage


def _message(channel: str, text: str) -> ChannelMessage:
    return ChannelMessage(channel, Line("PRIVMSG", (channel, text), "a!u@h"))


def test_a_join_takes_the_messages_since_its_time_oldest_first() -> None:
    unheard = Unheard()
    for at, text in ((100, "before"), (200, "at"), (300, "after")):
        unheard.keep(at, _message("#a", text))
    unheard.keep(250, _message("#b", "other room"))
    taken = unheard.take("#a", 200)
    assert [m.line.params[1] for m in taken] == ["at", "after"]
    assert unheard.take("#a", 0) == []  # handed back once
    assert len(unheard) == 1


def test_what_expired_is_forgotten() -> None:
    unheard = Unheard()
    unheard.keep(0, _message("#a", "old"))
    unheard.keep(HOLD + 1, _message("#b", "new"))
    unheard.prune(HOLD + 1)
    assert unheard.take("#a", 0) == []
    assert len(unheard) == 1


def test_memory_is_bounded_per_channel_and_pruned_as_it_goes() -> None:
    unheard = Unheard()
    unheard.keep(0, _message("#quiet", "long ago"))
    for at in range(PRUNE_EVERY + PER_CHANNEL):
        unheard.keep(HOLD * 2 + at, _message("#busy", str(at)))
    assert unheard.take("#quiet", 0) == []  # pruned along the way
    kept = unheard.take("#busy", 0)
    assert len(kept) == PER_CHANNEL
    assert kept[-1].line.params[1] == str(PRUNE_EVERY + PER_CHANNEL - 1)
