"""The typing rate limit (https://ircv3.net/specs/client-tags/typing), clock passed in."""

from __future__ import annotations

from chatroom.server.typing_limit import MAX_TARGETS, MIN_INTERVAL, TypingLimiter


def test_one_notification_per_interval_per_target() -> None:
    limiter = TypingLimiter()
    assert limiter.allow("#a", "active", 0.0)
    assert not limiter.allow("#a", "active", 1.0)
    assert not limiter.allow("#a", "paused", MIN_INTERVAL - 0.01)
    assert limiter.allow("#b", "active", 1.0)  # another target has its own rate
    assert limiter.allow("#a", "paused", MIN_INTERVAL)
    assert limiter.allow("#a", "active", 2 * MIN_INTERVAL)
    # A client keeping to the spec's 3 s is never cut.
    assert all(limiter.allow("#c", "active", 3.0 * i) for i in range(10))


def test_done_ends_typing_at_once_but_only_once() -> None:
    limiter = TypingLimiter()
    assert limiter.allow("bob", "active", 0.0)
    assert limiter.allow("bob", "done", 0.1)
    assert not limiter.allow("bob", "done", 0.2)
    assert not limiter.allow("bob", "active", 0.3)
    # Flipping between states as fast as it can: two per interval at most.
    passed = [
        limiter.allow("bob", state, 10 + i * 0.1)
        for i, state in enumerate(["active", "paused", "done"] * 8)
    ]
    assert passed.count(True) == 2


def test_unknown_values_are_dropped() -> None:
    limiter = TypingLimiter()
    assert not limiter.allow("bob", "", 0.0)
    assert not limiter.allow("bob", "ACTIVE", 0.0)
    assert not limiter.allow("bob", "x" * 100, 0.0)


def test_memory_is_bounded_by_targets() -> None:
    limiter = TypingLimiter()
    for i in range(MAX_TARGETS * 4):
        assert limiter.allow(f"user{i}", "active", 0.0)
    assert len(limiter._last) <= MAX_TARGETS
