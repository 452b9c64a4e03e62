"""The bound on reactions per message and session, without a server."""

from __future__ import annotations

from chatroom.server.reactions import MAX_BYTES, MAX_MESSAGES, MAX_PER_MESSAGE, ReactionLimiter


def react(msgid: str, value: str, tag: str = "+draft/react") -> dict[str, str]:
    return {"+draft/reply": msgid, tag: value}


def test_reactions_per_message_are_bounded_and_unreact_frees_a_place() -> None:
    limiter = ReactionLimiter()
    for i in range(MAX_PER_MESSAGE):
        assert limiter.check("#c", react("m1", f"e{i}")) is None
    assert limiter.check("#c", react("m1", "one too many")) is not None
    # The same reaction again takes no new place; another message has its own bound.
    assert limiter.check("#c", react("m1", "e0")) is None
    assert limiter.check("#c", react("m2", "x")) is None
    assert limiter.check("#other", react("m1", "x")) is None
    assert limiter.check("#c", react("m1", "e0", "+draft/unreact")) is None
    assert limiter.check("#c", react("m1", "now fits")) is None


def test_a_reaction_must_name_a_message_and_be_short() -> None:
    limiter = ReactionLimiter()
    assert limiter.check("#c", {"+draft/react": "x"}) is not None
    assert limiter.check("#c", react("m1", "")) is not None
    assert limiter.check("#c", react("m1", "x" * (MAX_BYTES + 1))) is not None
    assert limiter.check("#c", react("m1", "👍" * (MAX_BYTES // 4))) is None
    # Unreacting what was never given is harmless.
    assert limiter.check("#c", react("m9", "x", "+draft/unreact")) is None


def test_messages_remembered_are_bounded() -> None:
    limiter = ReactionLimiter()
    for i in range(MAX_MESSAGES + 10):
        assert limiter.check("#c", react(f"m{i}", "x")) is None
    assert len(limiter._given) == MAX_MESSAGES
