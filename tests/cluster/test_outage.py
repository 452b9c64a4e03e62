"""What local users are told when the network splits and heals."""

from __future__ import annotations

from chatroom.cluster.outage import NO_HISTORY, SPLIT, healed


def test_the_notices_read_as_sentences() -> None:
    assert "split" in SPLIT
    assert healed(1).endswith("1 message from other servers caught up.")
    assert healed(3).endswith("3 messages from other servers caught up.")
    assert NO_HISTORY in healed(None)
