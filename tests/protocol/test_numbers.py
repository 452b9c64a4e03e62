"""One number parser for client input: ASCII digits only, bounded."""

from __future__ import annotations

import pytest

from chatroom.protocol.numbers import MAX_DIGITS, parse_number


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("302", 302), ("007", 7)])
def test_ascii_digits_are_numbers(text: str, value: int) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text", ["", "²", "٣", "1²", "+1", " 1", "1 ", "1_000", "-1", "1.5", "0x10", "9" * 16]
)
def test_anything_else_is_not_a_number(text: str) -> None:
    # '²' and '٣' pass str.isdigit() but int() refuses them: the bug this guards.
    assert parse_number(text) is None


def test_signed() -> None:
    assert parse_number("-5", signed=True) == -5
    assert parse_number("5", signed=True) == 5
    assert parse_number("-", signed=True) is None
    assert parse_number("--5", signed=True) is None
    assert parse_number("-²", signed=True) is None


def test_the_longest_number_accepted() -> None:
    assert parse_number("9" * MAX_DIGITS) == 10**MAX_DIGITS - 1
