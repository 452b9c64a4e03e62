"""Per-process sequence numbers: the sender numbers each queued event once, the
receiver applies each number of each origin once, in whatever order they come."""

from __future__ import annotations

from chatroom.cluster.sequence import Numbering, Seen
from chatroom.protocol.line import Line
from chatroom.server.network.events import ChannelLine


def _topic() -> ChannelLine:
    return ChannelLine("#a", Line("TOPIC", ("#a", "same"), "op!u@h"))


def test_every_attempt_at_one_event_carries_its_number() -> None:
    numbering = Numbering()
    first, second = _topic(), _topic()  # equal, yet two events
    assert numbering.number(first) == 1
    assert numbering.number(second) == 2
    assert numbering.of(first) == 1  # sent again: the same number
    numbering.done([first])
    assert len(numbering) == 1
    assert numbering.of(second) == 2


def test_an_event_never_queued_gets_a_fresh_number_not_kept() -> None:
    numbering = Numbering()
    event = _topic()
    assert numbering.of(event) == 1
    assert numbering.of(event) == 2
    assert len(numbering) == 0


def test_a_repeat_is_refused_once_per_origin() -> None:
    seen = Seen()
    assert seen.first_time("p1", 1)
    assert not seen.first_time("p1", 1)
    assert seen.first_time("p2", 1)  # another process's own count
    assert seen.first_time("p1", 3)
    assert seen.first_time("p1", 2)  # late, from another pub/sub channel: new
    assert not seen.first_time("p1", 2)


def test_the_window_bounds_memory_and_refuses_what_is_older() -> None:
    seen = Seen(window=10)
    for seq in range(1, 100):
        assert seen.first_time("p", seq)
    assert not seen.first_time("p", 50)  # long gone: cannot tell, refused
    assert seen.first_time("p", 100)
    assert len(seen._seen["p"]) <= 20


def test_a_process_gone_is_forgotten() -> None:
    seen = Seen()
    assert seen.first_time("p", 1)
    seen.forget("p")
    assert seen.first_time("p", 1)
