"""Records, keys, times and data-directory helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from chatroom.storage import (
    Between,
    MessageKind,
    TimeAnchor,
    default_data_dir,
    dm_key,
    dm_peer,
    dm_peers,
    from_ms,
    is_dm_key,
    new_msgid,
    to_ms,
    utc_now,
)
from support.history import T0, msg


def test_msgids_are_unique_and_tag_safe() -> None:
    made = {new_msgid() for _ in range(10_000)}
    assert len(made) == 10_000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", msgid) for msgid in made)


def test_dm_key_is_the_same_from_both_sides() -> None:
    assert dm_key("bob", "alice") == dm_key("alice", "bob") == "alice,bob"
    assert dm_key("alice", "alice") == "alice,alice"
    assert is_dm_key("alice,bob") and not is_dm_key("#lobby")
    assert dm_peers("alice,bob") == ("alice", "bob")
    assert dm_peer("alice,bob", "alice") == "bob"
    assert dm_peer("alice,bob", "bob") == "alice"
    assert dm_peer("alice,alice", "alice") == "alice"


@pytest.mark.parametrize("nick", ["", "a,b"])
def test_dm_key_rejects_impossible_nicks(nick: str) -> None:
    with pytest.raises(ValueError):
        dm_key(nick, "bob")


def test_dm_peer_rejects_outsiders_and_channels() -> None:
    with pytest.raises(ValueError):
        dm_peer("alice,bob", "carol")
    with pytest.raises(ValueError):
        dm_peers("#lobby")


def test_ms_conversions_are_exact() -> None:
    for ms in (0, 1, 1_546_612_406_123, -1, -86_400_001):
        assert to_ms(from_ms(ms)) == ms
    assert to_ms(T0) == 1_546_612_406_123
    assert from_ms(0) == datetime(1970, 1, 1, tzinfo=UTC)


def test_utc_now_has_millisecond_precision() -> None:
    now = utc_now()
    assert now.tzinfo is UTC and now.microsecond % 1000 == 0
    assert abs(datetime.now(UTC) - now) < timedelta(seconds=5)


def test_message_time_is_normalised_to_utc_milliseconds() -> None:
    local = timezone(timedelta(hours=-7))
    message = msg(time=T0.astimezone(local).replace(microsecond=123999))
    assert message.time == T0.replace(microsecond=123000)
    assert message.time.tzinfo is UTC
    assert message.time_ms == to_ms(T0)


def test_message_rejects_naive_times_and_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        msg(time=datetime(2020, 1, 1))
    with pytest.raises(ValueError):
        msg(kind="WALLOPS")
    assert msg(kind="NOTICE").kind is MessageKind.NOTICE
    assert msg(kind="JOIN").kind is MessageKind.JOIN  # a channel event (event-playback)


def test_messages_are_frozen_and_hashable_despite_tags() -> None:
    message = msg(tags={"+a": "b"})
    with pytest.raises(AttributeError):
        message.text = "changed"  # type: ignore[misc]
    assert message in {message}


def test_anchors_and_queries_validate() -> None:
    with pytest.raises(ValueError):
        TimeAnchor(datetime(2020, 1, 1))
    with pytest.raises(ValueError):
        Between("#a", TimeAnchor(T0), TimeAnchor(T0), -1)


def test_default_data_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "chatroom"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # ignored, as the XDG spec says
    assert default_data_dir() == Path.home() / ".local" / "share" / "chatroom"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_data_dir() == Path.home() / ".local" / "share" / "chatroom"
