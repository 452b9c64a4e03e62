"""The message stamp: what a sender writes and a receiver parses back."""

from __future__ import annotations

import pytest

from bench.stamp import Stamp, format_text, parse_line


def test_round_trip_through_a_relayed_line() -> None:
    text = format_text(7, 42, 123456789012345, size=64)
    line = b":b1n7!b1n7@127.0.0.1 PRIVMSG #b1 :" + text + b"\r"
    assert parse_line(line) == Stamp(7, 42, 123456789012345)


def test_padding_reaches_the_size_and_is_never_empty() -> None:
    assert len(format_text(1, 2, 3, size=64)) == 64
    short = format_text(1, 2, 3, size=0)
    assert short.endswith(b" x")


def test_text_is_a_valid_trailing_parameter() -> None:
    text = format_text(1, 2, 3, size=100)
    assert not any(c in text for c in (b"\r", b"\n", b"\0"))


def test_tags_and_missing_carriage_return() -> None:
    line = b"@time=2024-01-01T00:00:00.000Z :n!u@h PRIVMSG #r :3 4 5 xx"
    assert parse_line(line) == Stamp(3, 4, 5)


def test_line_without_source() -> None:
    assert parse_line(b"PRIVMSG #r :8 9 10 x") == Stamp(8, 9, 10)


@pytest.mark.parametrize(
    "line",
    [
        b":n!u@h PRIVMSG #r",
        b":n!u@h PRIVMSG #r :hello world",
        b":n!u@h PRIVMSG #r :1 2",
        b":server 001 nick :Welcome",
        b"@tags-only",
        b":source-only",
    ],
)
def test_lines_without_a_stamp(line: bytes) -> None:
    assert parse_line(line) is None
