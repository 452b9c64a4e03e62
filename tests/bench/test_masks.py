"""The ban-mask benchmark's own pieces (no timing is asserted here)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bench.masks import NAME, adversarial_masks, main, two_pointer_match
from chatroom.protocol.masks import compile_mask


def test_the_adversarial_masks_match_nobody() -> None:
    masks = adversarial_masks()
    assert len(masks) == 100 and {len(m) for m in masks} >= {30, 130}
    assert not any(compile_mask(m).matches(NAME) or two_pointer_match(m, NAME) for m in masks)


@given(st.text("ab*?", max_size=8), st.text("ab", max_size=10))
def test_the_reference_matcher_agrees_with_ours(mask: str, text: str) -> None:
    assert two_pointer_match(mask, text) == compile_mask(mask).matches(text)


def test_it_runs_and_prints_both(capsys: object) -> None:
    assert main(["--masks", "3"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "chatroom" in out and "two-pointer (before)" in out
