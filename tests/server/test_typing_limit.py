"""The typing rate limit (https://ircv3.net/specs/client-tags/typing), clock passed in."""

from __future__ import annotations

from chatroom.server.typing_limit import ACTIVE_INTERVAL, MAX_TARGETS, TypingLimiter


def test_active_at_most_once_per_interval_per_target() -> None:
    limiter = TypingLimiter()
    assert limiter.allow("#a", "active", 0.0)
    assert not limiter.allow("#a", "active", 1.0)
    assert not limiter.allow("#a", "active", ACTIVE_INTERVAL - 0.01)
    assert limiter.allow("#b", "active", 1.0)  # another target has its own rate
    assert limiter.allow("#a", "active", ACTIVE_INTERVAL)


def test_paused_and_done_pass_only_when_they_change_the_state() -> None:
    limiter = TypingLimiter()
    assert limiter.allow("bob", "active", 0.0)
    assert limiter.allow("bob", "paused", 0.1)
    assert not limiter.allow("bob", "paused", 0.2)
    assert not limiter.allow("bob", "active", 0.3)  # a pause does not reset the rate
    assert limiter.allow("bob", "active", ACTIVE_INTERVAL)
    assert limiter.allow("bob", "done", 3.1)
    assert not limiter.allow("bob", "done", 10.0)
    # Flipping between states: at most one active per interval gets through.
    passed = [limiter.allow("bob", s, 10 + i * 0.1) for i, s in enumerate(["active", "done"] * 10)]
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
