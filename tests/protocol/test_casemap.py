"""Case mapping and the shape of nicks and channel names."""

from __future__ import annotations

import pytest

from chatroom.protocol.casemap import casefold, is_channel_name, is_valid_channel, is_valid_nick


def test_ascii_casemapping_folds_only_ascii() -> None:
    assert casefold("NiCk[]") == "nick[]"
    assert casefold("#CAFÉ") == "#cafÉ"


@pytest.mark.parametrize("nick", ["alice", "Bob_", "[x]", "a-1", "`x`", "a" * 32])
def test_valid_nicks(nick: str) -> None:
    assert is_valid_nick(nick, 32)


@pytest.mark.parametrize(
    "nick", ["", "1abc", "-x", "a b", "a,b", "a!b", "é", "#chan", "a" * 33, "a:b"]
)
def test_invalid_nicks(nick: str) -> None:
    assert not is_valid_nick(nick, 32)


@pytest.mark.parametrize("name", ["#lobby", "#café", "#a-b_c", "#🎉"])
def test_valid_channels(name: str) -> None:
    assert is_valid_channel(name, 64)


@pytest.mark.parametrize("name", ["#", "lobby", "#a b", "#a,b", "#a\x07", "#" + "x" * 64, "#a:b"])
def test_invalid_channels(name: str) -> None:
    assert not is_valid_channel(name, 64)


def test_channel_length_counts_utf8_bytes() -> None:
    assert not is_valid_channel("#" + "é" * 32, 64)
    assert is_channel_name("#x") and not is_channel_name("x")
