"""Cluster events survive the trip through msgpack; anything else is a ValueError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack
import pytest

from chatroom.cluster import channels
from chatroom.cluster.events import decode, encode, peek
from chatroom.protocol.line import Line
from chatroom.server.network.events import (
    ChannelCreated,
    ChannelLine,
    ChannelMessage,
    ChannelUpdate,
    Event,
    Invite,
    Join,
    Kick,
    Leave,
    NickChange,
    PrivateMessage,
    ProcessGone,
    Quit,
    Redaction,
    Resync,
    UserState,
    UserUp,
)
from chatroom.server.network.state import ChannelState
from chatroom.server.outgoing import format_time

LINE = Line("PRIVMSG", ("#room", "hi: there"), "a!u@h", {"msgid": "x1", "time": "t"})
STATE = ChannelState(
    "#Room",
    1_700_000_000,
    "int",
    key="sesame",
    topic="hi",
    op_accounts=("alice",),
    lists=(("b", (("bad!*@*", "a!u@h", 1_700_000_200),)), ("e", ()), ("I", ())),
)

EVENTS: list[Event] = [
    ChannelMessage("#room", LINE, "@", False),
    PrivateMessage("bob", LINE, True),
    UserUp("Alice", "Alice!u@h"),
    Join("#room", "alice", "Alice!u@h", "o", "*", "Real Name", Line("JOIN", ("#Room",), "a")),
    Leave("#room", "alice", Line("PART", ("#Room", "bye"), "a")),
    ChannelLine("#room", Line("TOPIC", ("#Room", "new"), "a")),
    Quit("alice", ("#room", "#other"), Line("QUIT", ("Quit",), "a")),
    NickChange("alice", "Al", "Al!u@h", (("#room", "o"),), Line("NICK", ("Al",), "a")),
    ProcessGone("Server shutting down"),
]


def _pack(*items: Any) -> bytes:
    return bytes(msgpack.packb(list(items), use_bin_type=True))


def _round_trip(event: Event) -> None:
    assert decode(encode("proc-1", 7, event)) == ("proc-1", 7, event)


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_round_trip(event: Event) -> None:
    _round_trip(event)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xc1",  # never used in msgpack
        b'{"o":"p","t":"gone","reason":"x"}',  # the JSON form of older versions
        _pack(),
        _pack("gone", "p"),  # no sequence number
        _pack("nope", "p", 1),
        _pack("gone", "p", 1),  # a field without default missing
        _pack("gone", 1, 1, "x"),  # origin not a string
        _pack("gone", "p", "1", "x"),  # sequence number not an int
        _pack("gone", "p", True, "x"),
        _pack(["gone"], "p", 1, "x"),  # an unhashable kind
        _pack("leave", "p", 1, "#a", "b", ["PART", [1], None, {}, None]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, {}, "1"]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, {}, -1]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, {1: "x"}, None]),
        msgpack.packb({"t": "gone"}),
        _pack("gone", "p", 1, "x") + b"\x00",  # trailing bytes
    ],
)
def test_garbage_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode(data)


@pytest.mark.parametrize(
    "event",
    [
        UserUp("Alice", "Alice!u@h", "Real", "alice", "gone", "io", 1700000000, True),
        UserState(
            "alice", "Real", None, "lunch", "i", Line("AWAY", ("lunch",), "a", {"time": "t"})
        ),
        UserState("alice", "Real", "alice", None, "", None),
    ],
    ids=["UserUp-full", "UserState-line", "UserState-no-line"],
)
def test_user_state_round_trip(event: Event) -> None:
    _round_trip(event)


def test_a_user_up_from_an_older_process_decodes_with_defaults() -> None:
    """Missing trailing fields (an older process's event) take their defaults."""
    _origin, _seq, event = decode(_pack("up", "p", 1, "Al", "Al!u@h"))
    assert event == UserUp("Al", "Al!u@h")
    assert isinstance(event, UserUp)
    assert (event.account, event.away, event.modes, event.signon, event.secure) == (
        None,
        None,
        "",
        0,
        False,
    )


@pytest.mark.parametrize(
    "event",
    [
        ChannelUpdate("#room", STATE, (("bob", "o"), ("al", "")), LINE),
        ChannelUpdate("#room", STATE),  # no line: a creation, ChanServ
        ChannelUpdate("#room", None, (("bob", "v"),), LINE),  # statuses only
        Invite("#room", "bob", Line("INVITE", ("Bob", "#Room"), "a!u@h", {"time": "t"})),
        ChannelCreated("#room", "alice", STATE),
        Kick("#room", "bob", Line("KICK", ("#Room", "Bob", "out"), "a!u@h", {"time": "t"})),
        Redaction("#room", Line("REDACT", ("#Room", "m1", "typo"), "a!u@h", {"time": "t"})),
    ],
    ids=lambda e: type(e).__name__,
)
def test_channel_state_events_round_trip(event: Event) -> None:
    _round_trip(event)


def test_a_join_leaves_the_channel_state_at_home() -> None:
    """No channel state in a JOIN: a process that needs it reads it from Redis."""
    join = Join("#room", "al", "Al!u@h", "", "*", "Al", Line("JOIN", ("#Room",), "a"), STATE)
    data = encode("p", 1, join)
    assert b"sesame" not in data
    assert decode(data) == ("p", 1, Join(*[getattr(join, f) for f in _JOIN_FIELDS], None))


_JOIN_FIELDS = ("channel", "nick", "source", "status", "account", "realname", "line")


def test_a_chat_message_is_little_more_than_its_line() -> None:
    """An 80-byte PRIVMSG crosses Redis as its formatted line plus a few bytes."""
    text = "x" * 80
    tags = {"msgid": "aBcDeFgHiJkLmNoPqRsTuV", "time": "2026-12-05T12:00:00.000Z"}
    line = Line("PRIVMSG", ("#Room", text), "alice!alice@127.0.0.1", tags)
    data = encode("host:12345:abcdef", 123_456, ChannelMessage("#room", line))
    assert len(data) <= len(line.format()) + 20, (len(data), len(line.format()))


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-12-05T12:00:00.000Z",
        "1970-01-01T00:00:00.001Z",
        "2026-12-05T12:00:00Z",
        "2026-13-05T12:00:00.000Z",
        "1969-12-31T23:59:59.999Z",
        "soon",
    ],
)
def test_a_time_tag_comes_back_exactly(stamp: str) -> None:
    """A server-time stamp travels as a number when that gives back the same
    text, else as it is."""
    line = Line("PRIVMSG", ("#a", "hi"), "a!u@h", {"time": stamp, "msgid": "m"})
    _round_trip(ChannelMessage("#a", line))


@pytest.mark.parametrize("ms", [0, 1, 999, 1_764_936_000_123, 253_402_300_799_999])
def test_a_time_as_a_number_reads_back_as_the_server_writes_it(ms: int) -> None:
    when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    stamp = format_time(when)
    line = Line("PRIVMSG", ("#a", "hi"), "a!u@h", {"time": stamp})
    body = msgpack.unpackb(encode("p", 1, ChannelMessage("#a", line)))
    assert body[4][4] == ms and "time" not in body[4][3]
    _round_trip(ChannelMessage("#a", line))


def test_only_a_channel_update_may_come_without_a_line() -> None:
    with pytest.raises(ValueError):
        decode(_pack("invite", "p", 1, "#a", "b", None))


def test_fields_this_version_does_not_know_are_ignored() -> None:
    """A newer process may add fields to an event (at the end): older ones still read it."""
    data = _pack("up", "p", 1, "Al", "Al!u@h", "", None, None, "", 0, False, "blue", [1])
    assert decode(data) == ("p", 1, UserUp("Al", "Al!u@h"))


_AWAY = ["AWAY", ["lunch"], "a!u@h", {}, None]
_JOIN = ["JOIN", ["#a"], "a!u@h", {}, None]


@pytest.mark.parametrize(
    "body",
    [
        # UserUp: every field has its type
        ["up", "Al", "Al!u@h", "", None, None, None],
        ["up", "Al", "Al!u@h", "", None, None, 5],
        ["up", "Al", "Al!u@h", "", None, 5],
        ["up", "Al", "Al!u@h", "", ["a"]],
        ["up", None, "Al!u@h"],
        ["up", "Al", "Al!u@h", "", None, None, "", "1"],
        ["up", "Al", "Al!u@h", "", None, None, "", True],
        ["up", "Al", "Al!u@h", "", None, None, "", 0, 1],
        ["up", "Al", b"Al!u@h"],  # bytes are not a string
        # UserState: modes a string, a line only AWAY/ACCOUNT/SETNAME
        ["state", "al", "R", None, None, None],
        ["state", "al", "R", None, None, "", ["PRIVMSG", ["x", "y"], "a!u@h", {}, None]],
        ["state", "al", "R", None, None, "", "AWAY"],
        # nil only where a field may be None
        ["join", "#a", "al", "s", "", "*", "R", None],
        ["msg", "#a", None],
        ["leave", "#a", None, _JOIN],
        # tuples of the right shape
        ["quit", "al", "#a", _JOIN],
        ["quit", "al", [1], _JOIN],
        ["nick", "al", "Bo", "s", [["#a"]], _JOIN],
        ["nick", "al", "Bo", "s", [["#a", "o", "x"]], _JOIN],
        # the channel-state events too
        ["cstate", "#a", {"n": "#a"}],
        ["cstate", "#a", "{}", [["bob", None]]],
        ["cstate", "#a", "{}"],  # a state must be a whole one
        ["cstate", "#a", "{not json"],
        ["created", "#a", "al", ""],
        ["invite", "#a", 5, _AWAY],
        ["created", "#a", "al", None],
        ["gone", False],
    ],
)
def test_a_field_of_the_wrong_type_is_refused(body: list[Any]) -> None:
    with pytest.raises(ValueError):
        decode(_pack(body[0], "p", 1, *body[1:]))


@pytest.mark.parametrize("command", ["AWAY", "ACCOUNT", "SETNAME"])
def test_a_user_state_carries_a_notification(command: str) -> None:
    line = [command, ["x"], "a!u@h", {}, None]
    _origin, _seq, event = decode(_pack("state", "p", 1, "al", "R", None, None, "", line))
    assert isinstance(event, UserState) and event.line is not None
    assert event.line.command == command


def test_resync_round_trip() -> None:
    _round_trip(Resync(1_700_000_000_123))


def test_a_channel_state_travels_as_the_text_redis_stores() -> None:
    """A state is the JSON text Redis stores inside the envelope, "" for none."""
    body = msgpack.unpackb(encode("p", 1, ChannelUpdate("#room", STATE)))
    assert body[4] == channels.dump(STATE)
    assert msgpack.unpackb(encode("p", 1, ChannelUpdate("#room", None)))[4] == ""


def test_peek_reads_the_kind_and_origin_only() -> None:
    assert peek(encode("proc-1", 7, EVENTS[0])) == (ChannelMessage, "proc-1")
    assert peek(encode("proc-1", 8, Resync(1))) == (Resync, "proc-1")
    for data in (b"", b"\xc1", _pack("nope", "p", 1), _pack("gone", 5, 1), _pack("gone")):
        assert peek(data) is None
    assert peek(_pack("gone", "p", "not checked here")) == (ProcessGone, "p")
