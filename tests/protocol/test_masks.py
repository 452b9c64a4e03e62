"""Hostmask matching, against the shared ircdocs mask-match vectors."""

from __future__ import annotations

import pytest
from parser_tests import data as vectors

from chatroom.protocol.masks import mask_matches, normalize_mask


@pytest.mark.parametrize("case", vectors.mask_match["tests"], ids=lambda c: c["mask"])
def test_mask_match_vectors(case: dict[str, object]) -> None:
    mask = str(case["mask"])
    for text in case.get("matches") or []:  # type: ignore[attr-defined]
        assert mask_matches(mask, text), (mask, text)
    for text in case.get("fails") or []:  # type: ignore[attr-defined]
        assert not mask_matches(mask, text), (mask, text)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("nick", "nick!*@*"),
        ("user@host", "*!user@host"),
        ("nick!user", "nick!user@*"),
        ("1.2.3.4", "*!*@1.2.3.4"),
        ("a!b@c", "a!b@c"),
    ],
)
def test_normalize_mask(given: str, expected: str) -> None:
    assert normalize_mask(given) == expected


def test_matching_ignores_ascii_case() -> None:
    assert mask_matches("BAD*!*@*", "badguy!u@h")
