"""Splitting long text: every piece fits, is valid UTF-8, and nothing is lost."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroom.client.textsplit import MIN_BUDGET, split_text, utf8_len


def rejoin(pieces: list[str], original: str) -> bool:
    """True if the pieces give back the original, with cuts at spaces dropping one space."""
    rest = original
    for piece in pieces:
        if not rest.startswith(piece):
            return False
        rest = rest[len(piece) :]
        if rest.startswith(" ") and piece is not pieces[-1]:
            rest = rest[1:]
    return rest == ""


def test_short_text_is_one_piece() -> None:
    assert split_text("hello", 100) == ["hello"]


def test_empty_text_gives_no_piece() -> None:
    assert split_text("", 100) == []


def test_cuts_at_a_space_when_it_can() -> None:
    assert split_text("aaaa bbbb cccc dddd", 16) == ["aaaa bbbb cccc", "dddd"]


def test_long_word_is_cut_inside() -> None:
    assert split_text("x" * 40, 16) == ["x" * 16, "x" * 16, "x" * 8]


def test_never_cuts_inside_a_multibyte_character() -> None:
    text = "é" * 20  # 2 bytes each
    pieces = split_text(text, 17)
    assert all(utf8_len(p) <= 17 for p in pieces)
    assert "".join(pieces) == text


def test_keeps_combining_marks_with_their_letter() -> None:
    text = "e\u0301" * 10  # e + combining acute, 3 bytes per pair
    pieces = split_text(text, 16)
    assert all(not p.startswith("\u0301") for p in pieces)
    assert "".join(pieces) == text


def test_keeps_emoji_with_skin_tone() -> None:
    text = "👍🏽" * 10  # 8 bytes per pair
    pieces = split_text(text, 20)
    assert all(not p.startswith("\U0001f3fd") for p in pieces)
    assert "".join(pieces) == text


def test_refuses_a_tiny_budget() -> None:
    with pytest.raises(ValueError):
        split_text("hello", MIN_BUDGET - 1)


@given(st.text(min_size=1, max_size=2000), st.integers(min_value=MIN_BUDGET, max_value=500))
def test_pieces_fit_and_give_back_the_text(text: str, budget: int) -> None:
    pieces = split_text(text, budget)
    assert all(piece and utf8_len(piece) <= budget for piece in pieces)
    assert all(piece.encode("utf-8").decode("utf-8") == piece for piece in pieces)
    assert rejoin(pieces, text)
