"""The bounded line decoder: framing, limits, UTF-8."""

from __future__ import annotations

import pytest

from chatroom.errors import InputTooLong, InvalidUtf8
from chatroom.protocol.decoder import MAX_BODY, MAX_CLIENT_TAGS, LineDecoder


def drain(decoder: LineDecoder) -> list[str | type[Exception]]:
    out: list[str | type[Exception]] = []
    while decoder.has_line:
        try:
            line = decoder.next_line()
        except (InputTooLong, InvalidUtf8) as exc:
            out.append(type(exc))
            continue
        assert line is not None
        out.append(line)
    assert decoder.next_line() is None
    return out


def test_many_lines_in_one_read() -> None:
    d = LineDecoder()
    d.receive_data(b"NICK a\r\nUSER a 0 * :A\r\nJOIN #x\n")
    assert drain(d) == ["NICK a", "USER a 0 * :A", "JOIN #x"]


def test_line_split_across_reads_byte_by_byte() -> None:
    d = LineDecoder()
    got: list[str | type[Exception]] = []
    for byte in "PRIVMSG #x :héllo wörld 🎉\r\n".encode():
        d.receive_data(bytes([byte]))
        got += drain(d)
    assert got == ["PRIVMSG #x :héllo wörld 🎉"]


def test_empty_lines_are_skipped() -> None:
    d = LineDecoder()
    d.receive_data(b"\n\r\n\r\nPING x\r\n\n")
    assert drain(d) == ["PING x"]


def test_body_at_limit_passes_and_over_limit_fails() -> None:
    d = LineDecoder()
    ok = b"PRIVMSG #x :" + b"a" * (MAX_BODY - 2 - len(b"PRIVMSG #x :"))
    d.receive_data(ok + b"\r\n" + ok + b"a\r\nPING after\r\n")
    assert drain(d) == [ok.decode(), InputTooLong, "PING after"]


def test_tags_have_their_own_budget() -> None:
    d = LineDecoder()
    tags = b"@+x=" + b"v" * (MAX_CLIENT_TAGS - 3)
    d.receive_data(tags + b" PING a\r\n" + tags + b"v PING b\r\n")
    result = drain(d)
    assert result[1] is InputTooLong
    assert isinstance(result[0], str) and result[0].endswith("PING a")


def test_endless_line_is_bounded_and_reported_once() -> None:
    d = LineDecoder()
    for _ in range(100):
        d.receive_data(b"x" * 4096)
        assert d.queued_bytes <= d.max_line
    d.receive_data(b"tail\r\nPING ok\r\n")
    assert drain(d) == [InputTooLong, "PING ok"]


def test_invalid_utf8_names_the_command_and_goes_on() -> None:
    d = LineDecoder()
    d.receive_data(b"PRIVMSG #x :\xff\xfe\r\nPING ok\r\n")
    with pytest.raises(InvalidUtf8) as info:
        d.next_line()
    assert info.value.command == "PRIVMSG"
    assert d.next_line() == "PING ok"


def test_queued_bytes_counts_waiting_lines() -> None:
    d = LineDecoder()
    d.receive_data(b"PING a\r\nPING b\r\npartial")
    assert d.queued_bytes == len(b"PING a") + len(b"PING b") + len(b"partial")
    drain(d)
    assert d.queued_bytes == len(b"partial")


def test_lines_taken_between_reads_come_out_in_order_and_the_queue_empties() -> None:
    decoder = LineDecoder()
    decoder.receive_data(b"a\r\nb\r\n")
    assert decoder.next_line() == "a"
    decoder.receive_data(b"c\r\nd")  # arrives while "b" is still waiting
    assert decoder.queued_bytes == 3
    assert [decoder.next_line(), decoder.next_line(), decoder.next_line()] == ["b", "c", None]
    assert not decoder.has_line and decoder.queued_bytes == 1
    decoder.receive_data(b"\r\n")
    assert decoder.has_line and decoder.next_line() == "d" and not decoder.has_line
