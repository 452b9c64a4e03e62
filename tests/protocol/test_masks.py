"""Hostmask matching, against the shared ircdocs mask-match vectors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType

import pytest
from hypothesis import given
from hypothesis import strategies as st
from parser_tests import data as vectors

from chatroom.protocol.casemap import casefold
from chatroom.protocol.masks import compile_mask, mask_matches, normalize_mask


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


def _reference(mask: str, text: str) -> bool:
    """Glob matching by dynamic programming over (mask, text) prefixes: slow and plain."""
    m, t = casefold(mask), casefold(text)
    # reach[j]: the mask so far matches t[:j]
    reach = [True] + [False] * len(t)
    for c in m:
        if c == "*":
            for j in range(1, len(t) + 1):
                reach[j] = reach[j] or reach[j - 1]
        else:
            reach = [False] + [reach[j] and (c == "?" or c == t[j]) for j in range(len(t))]
    return reach[len(t)]


_alphabet = st.sampled_from("aAb!@.*?")


@given(st.text(_alphabet, max_size=12), st.text(st.sampled_from("aAb!@."), max_size=16))
def test_matches_like_the_reference(mask: str, text: str) -> None:
    assert mask_matches(mask, text) == _reference(mask, text)


@given(st.text(max_size=20), st.text(max_size=20))
def test_matches_like_the_reference_on_any_text(mask: str, text: str) -> None:
    assert mask_matches(mask, text) == _reference(mask, text)


@given(st.text(st.sampled_from("ab"), max_size=10))
def test_a_mask_without_wildcards_matches_itself_only(text: str) -> None:
    assert mask_matches(text, text.upper())
    assert not mask_matches(text, text + "a")


def _steps(mask: str, text: str) -> int:
    """Lines of Python run by one match: a cost that does not depend on the clock."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: object) -> object:
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    compile_mask(mask)  # compiling is paid once per mask, not per match
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        mask_matches(mask, text)
    finally:
        sys.settrace(previous)
    return count


@pytest.mark.parametrize(
    "shape",
    [
        lambda k: "*" + "a" * k + "b",
        lambda k: "*" + "a" * k + "b*",
        lambda k: "*" + "a?" * (k // 2) + "b*",
        lambda k: "*a" * (k // 2) + "*b*",
    ],
)
def test_match_cost_is_one_pass_over_the_text(shape: Callable[[int], str]) -> None:
    """Hostile masks (issue 14): the cost grows with the text, not with the mask."""
    name = "a" * 32 + "!~" + "a" * 14 + "@127.0.0.1"
    short, long = _steps(shape(30), name), _steps(shape(130), name)
    assert long == short
    assert _steps(shape(130), name * 2) <= 2 * long + 5
    assert long <= 3 * len(name) + 20
