"""Client settings."""

from __future__ import annotations

from chatroom.client.config import WANTED_CAPS, ClientConfig


def test_reconnect_delays_grow_then_repeat_the_last() -> None:
    config = ClientConfig(reconnect_delays=(1.0, 2.0, 4.0))
    assert [config.delay(i) for i in range(1, 6)] == [1.0, 2.0, 4.0, 4.0, 4.0]


def test_defaults_follow_the_tutorial() -> None:
    config = ClientConfig()
    assert (config.host, config.port, config.rooms) == ("127.0.0.1", 1060, ("#lobby",))
    assert config.reconnect and "server-time" in WANTED_CAPS and "echo-message" in WANTED_CAPS
