"""The colours: readable on white (WCAG AA: contrast at least 4.5:1)."""

from __future__ import annotations

import pytest

from chatroom.ui.tk.formatting import NICK_COLOUR_COUNT
from chatroom.ui.tk.theme import COLOURS, NICK_COLOURS


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("colour", NICK_COLOURS)
def test_nick_colours_are_readable_on_the_page_and_on_highlights(colour: str) -> None:
    for background in ("bg", "own_bg", "mention_bg"):
        assert contrast(colour, COLOURS[background]) >= 4.5, (colour, background)


def test_one_colour_per_nick_tag() -> None:
    assert len(NICK_COLOURS) == NICK_COLOUR_COUNT
    assert len(set(NICK_COLOURS)) == NICK_COLOUR_COUNT


def test_text_muted_text_and_errors_are_readable() -> None:
    for name in ("text", "muted", "error"):
        assert contrast(COLOURS[name], COLOURS["bg"]) >= 4.5, name
    assert contrast(COLOURS["muted"], COLOURS["sidebar"]) >= 4.5
    assert contrast(COLOURS["accent_text"], COLOURS["accent"]) >= 4.5
