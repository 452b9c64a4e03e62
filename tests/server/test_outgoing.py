"""Relayed messages are formatted once per tag profile."""

from __future__ import annotations

from chatroom.protocol.line import Line, parse
from chatroom.server.outgoing import ACCOUNT, MSGTAGS, TIME, Outgoing, filter_tags, profile_for

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
