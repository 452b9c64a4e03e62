"""Relayed messages are formatted once per tag profile."""

from __future__ import annotations

from datetime import UTC, datetime

from chatroom.protocol.line import Line, parse
from chatroom.server.outgoing import (
    ACCOUNT,
    MSGTAGS,
    TIME,
    Outgoing,
    Segment,
    filter_tags,
    format_time,
    profile_for,
)

TAGS = {"time": "2026-01-01T00:00:00.000Z", "msgid": "abc", "+react": "👍", "account": "al"}


def test_profiles_from_caps() -> None:
    assert profile_for(set()) == 0
    assert profile_for({"server-time", "message-tags"}) == TIME | MSGTAGS
    assert profile_for({"account-tag"}) == ACCOUNT


def test_filter_tags_by_profile() -> None:
    assert filter_tags(TAGS, 0) == {}
    assert filter_tags(TAGS, TIME) == {"time": TAGS["time"]}
    assert filter_tags(TAGS, MSGTAGS) == {"msgid": "abc", "+react": "👍"}
    assert filter_tags(TAGS, ACCOUNT) == {"account": "al"}


def test_render_is_cached_and_correct() -> None:
    out = Outgoing(Line("PRIVMSG", ("#a", "hi there"), "n!u@h", TAGS))
    bare = out.render(0)
    assert bare == b":n!u@h PRIVMSG #a :hi there\r\n"
    assert out.render(0) is bare
    full = out.render(TIME | MSGTAGS)
    parsed = parse(full.decode())
    assert parsed.params == ("#a", "hi there")
    assert dict(parsed.tags) == {"time": TAGS["time"], "msgid": "abc", "+react": "👍"}


def test_free_text_is_cut_to_fit_but_masks_are_not() -> None:
    source = "n" * 32 + "!~" + "u" * 15 + "@10.0.0.7"
    for command in ("PRIVMSG", "NOTICE", "PART", "KICK", "QUIT", "TOPIC"):
        params = ("#c", "x y" * 200) if command != "QUIT" else ("x y" * 200,)
        out = Outgoing(Line(command, params, source, TAGS))
        assert len(out.render(0)) == 512
        assert out.line.params[-1] == ("x y" * 200)[: len(out.line.params[-1])]
        assert out.render(TIME).endswith(out.render(0))
    mode = Line("MODE", ("#c", "+b", "m" * 480), source)
    assert Outgoing(mode).line is mode


def test_segment_renders_once_per_profile_without_the_skipped_senders_own() -> None:
    a, b, c = object(), object(), object()
    one = Outgoing(Line("PRIVMSG", ("#c", "one"), "a!u@h", {"time": TAGS["time"]}))
    two = Outgoing(Line("PRIVMSG", ("#c", "two"), "b!u@h", {"time": TAGS["time"]}))
    segment = Segment(epoch=3)
    segment.add(one, a)
    segment.add(two, b)
    plain = segment.render_for(c, 0)
    assert plain == one.render(0) + two.render(0)
    assert not segment.open  # rendered: nothing more may be added
    assert segment.render_for(object(), 0) is plain  # shared by members of one profile
    assert segment.render_for(c, TIME) == one.render(TIME) + two.render(TIME)
    assert segment.render_for(a, 0) == two.render(0)
    assert segment.render_for(b, TIME) == one.render(TIME)


def test_segment_of_only_a_members_own_messages_renders_empty_for_it() -> None:
    a = object()
    segment = Segment(epoch=0)
    segment.add(Outgoing(Line("PRIVMSG", ("#c", "mine"), "a!u@h")), a)
    assert segment.render_for(a, 0) == b""


def test_server_time_is_utc_with_milliseconds_whether_or_not_the_time_is_aware() -> None:
    aware = datetime(2026, 1, 2, 3, 4, 5, 678_901, tzinfo=UTC)
    assert format_time(aware) == "2026-01-02T03:04:05.678Z"
    assert format_time(aware.replace(tzinfo=None)) == "2026-01-02T03:04:05.678Z"
    assert format_time(aware.replace(microsecond=0)) == "2026-01-02T03:04:05.000Z"
