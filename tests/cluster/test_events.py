"""Cluster events survive the trip through msgpack; anything else is a ValueError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroom.cluster import channels
from chatroom.cluster.events import KINDS, OtherVersion, decode, encode, peek
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


_NAMED: dict[str, type[Event]] = {
    "msg": ChannelMessage,
    "pm": PrivateMessage,
    "up": UserUp,
    "join": Join,
    "leave": Leave,
    "quit": Quit,
    "nick": NickChange,
    "gone": ProcessGone,
    "state": UserState,
    "cstate": ChannelUpdate,
    "invite": Invite,
    "created": ChannelCreated,
}
_CODE = {cls: code for code, cls in KINDS.items()}


def _pack(*items: Any) -> bytes:
    """An envelope by hand; a kind named as in :data:`_NAMED` goes as its code."""
    head = items[0] if items else None
    if type(head) is str and head in _NAMED:
        items = (_CODE[_NAMED[head]], *items[1:])
    return _raw(*items)


def _raw(*items: Any) -> bytes:
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
        _pack("leave", "p", 1, "#a", "b", ["PART", [1]]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x", b"y"]]),  # bytes are no text
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, None, None, {"a": b"x"}]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, None, None, {"a": None}]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, "1"]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, -1]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, None, None, {1: "x"}]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, None, 0]),  # counters start at 1
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, None, 16**15]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, None, True]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, None, 1.5]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, 5, None, {"time": "t"}]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, None, 5, {"msgid": "m"}]),
        _pack("leave", "p", 1, "#a", "b", ["PART", [None]]),  # no address to stand for
        _pack("leave", "p", 1, "#a", "b", [3, ["x"]]),  # no command of that code
        _pack("leave", "p", 1, "#a", "b", [-1, ["x"]]),
        _pack("leave", "p", 1, "#a", "b", ["PART"]),
        _pack("leave", "p", 1, "#a", "b", ["PART", ["x"], None, None, None, {}, "more"]),
        _pack("msg", "p", 1, "#a", [0, [None, None]]),
        _pack(True, "p", 1, "x"),  # a bool is not a kind
        _pack(99, "p", 1, "x"),  # a kind of a newer version
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


def test_a_chat_message_is_its_text_source_and_origin_and_a_few_bytes() -> None:
    """An 80-byte PRIVMSG as the server makes it (its msgid from the origin's prefix,
    a lowercase channel) adds 35 bytes to its text, source and origin: the kind, the
    command, the channel once, the time, the msgid's counter and the numbers."""
    text, source, origin = "x" * 80, "alice!alice@127.0.0.1", "host:12345:0123456789"
    tags = {"time": "2026-12-05T12:00:00.000Z", "msgid": "0123456789" + "1e240"}
    line = Line("PRIVMSG", ("#room", text), source, tags)
    event = ChannelMessage("#room", line)
    data = encode(origin, 123_456, event)
    assert len(data) - len(text) - len(source) - len(origin) <= 35
    assert decode(data) == (origin, 123_456, event)
    assert data.count(b"#room") == 1 and b"PRIVMSG" not in data and b"1e240" not in data


@pytest.mark.parametrize(
    ("channel", "status", "target"),
    [("#room", "", "#Room"), ("#room", "@", "@#room"), ("#room", "", "@#room"), ("#a", "+", "#a")],
)
def test_a_channel_is_left_out_of_the_line_only_where_it_is_that_exact_text(
    channel: str, status: str, target: str
) -> None:
    """The receiver rebuilds the sender's target exactly: the folded name with the
    status prefix stands in for it only when the line says exactly that."""
    line = Line("NOTICE", (target, "hi"), "a!u@h", {"time": "2026-12-05T12:00:00.000Z"})
    event = ChannelMessage(channel, line, status)
    data = encode("h:1:ab", 1, event)
    assert decode(data) == ("h:1:ab", 1, event)
    assert (msgpack.unpackb(data)[4][1][0] is None) == (target == status + channel)


def test_a_private_message_does_not_repeat_its_target() -> None:
    line = Line("PRIVMSG", ("bob", "hi"), "a!u@h", {"msgid": "ab2a"})
    data = encode("h:1:ab", 1, PrivateMessage("bob", line))
    assert msgpack.unpackb(data)[4] == [0, [None, "hi"], "a!u@h", None, 42]
    assert decode(data) == ("h:1:ab", 1, PrivateMessage("bob", line))


@pytest.mark.parametrize(
    ("msgid", "travels_as"),
    [
        ("ab1", 1),
        ("abff", 255),
        ("ab" + "f" * 15, 16**15 - 1),
        ("ab" + "1" * 16, "ab" + "1" * 16),  # past 15 digits: as text
        ("ab01", "ab01"),  # a leading zero would not come back
        ("abA", "abA"),  # upper case neither
        ("ab0", "ab0"),
        ("ab", "ab"),
        ("cd1", "cd1"),  # another process's msgid
        ("xab1", "xab1"),
    ],
)
def test_a_msgid_of_the_origin_travels_as_its_counter(msgid: str, travels_as: object) -> None:
    line = Line("TAGMSG", ("#a",), "a!u@h", {"msgid": msgid, "+typing": "active"})
    event = ChannelMessage("#a", line, tagmsg=True)
    data = encode("host:1:ab", 1, event)
    assert msgpack.unpackb(data)[4][4] == travels_as
    _origin, _seq, back = decode(data)
    assert back == event and list(back.line.tags) == ["msgid", "+typing"]


def test_defaults_at_the_end_are_left_off() -> None:
    """A channel message with no status, not a TAGMSG: those two fields stay home."""
    line = Line("PRIVMSG", ("#a", "hi"), "a!u@h")
    assert msgpack.unpackb(encode("p", 1, ChannelMessage("#a", line))) == [
        0,
        "p",
        1,
        "#a",
        [0, [None, "hi"], "a!u@h"],
    ]
    up = UserUp("Al", "Al!u@h", "Real", signon=5)
    assert msgpack.unpackb(encode("p", 1, up))[3:] == ["Al", "Al!u@h", "Real", None, None, "", 5]


def test_an_event_of_version_1_says_so() -> None:
    """A process of an older chatroom (kinds by name): refused, saying which version."""
    data = _raw("msg", "old:1:abcdef", 5, "#a", ["PRIVMSG", ["#a", "hi"], "a!u@h", {}, None])
    with pytest.raises(OtherVersion) as caught:
        decode(data)
    assert (caught.value.origin, caught.value.version) == ("old:1:abcdef", 1)
    assert "version 1" in str(caught.value)


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
    assert body[4][3] == ms and len(body[4]) == 4  # no msgid, no other tags
    _round_trip(ChannelMessage("#a", line))


def test_only_a_channel_update_may_come_without_a_line() -> None:
    with pytest.raises(ValueError):
        decode(_pack("invite", "p", 1, "#a", "b", None))


def test_fields_this_version_does_not_know_are_ignored() -> None:
    """A newer process may add fields to an event (at the end): older ones still read it."""
    data = _pack("up", "p", 1, "Al", "Al!u@h", "", None, None, "", 0, False, "blue", [1])
    assert decode(data) == ("p", 1, UserUp("Al", "Al!u@h"))


_AWAY = ["AWAY", ["lunch"], "a!u@h"]
_JOIN = ["JOIN", ["#a"], "a!u@h"]


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
        ["state", "al", "R", None, None, "", ["PRIVMSG", ["x", "y"], "a!u@h"]],
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
    line = [command, ["x"], "a!u@h"]
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
    for data in (b"", b"\xc1", _pack(99, "p", 1), _pack("gone", 5, 1), _pack("gone")):
        assert peek(data) is None
    assert peek(_raw("gone", "p", 1, "x")) is None  # wire version 1
    assert peek(_pack("gone", "p", "not checked here")) == (ProcessGone, "p")


_STAMPS = st.sampled_from(["2026-12-05T12:00:00.000Z", "1970-01-01T00:00:00.000Z", "soon", ""])
_PREFIXES = ("ab12", "", "p")
_MSGIDS = st.builds(
    lambda prefix, n, form: form.format(prefix, n),
    st.sampled_from(_PREFIXES),
    st.integers(0, 2**70),
    st.sampled_from(["{}{:x}", "{}{:X}", "{}0{:x}", "x{}{:x}", "{}{}"]),
)
_TAGS = st.lists(
    st.one_of(
        st.tuples(st.just("time"), _STAMPS),
        st.tuples(st.just("msgid"), _MSGIDS),
        st.tuples(st.sampled_from(["account", "+typing", "batch"]), st.text(max_size=5)),
    ),
    unique_by=lambda pair: pair[0],
    max_size=4,
).map(dict)
_NAMES = st.sampled_from(["#room", "#Room", "bob", "Bob", ""]) | st.text(max_size=6)


@st.composite
def _messages(draw: st.DrawFn) -> Event:
    """A channel or private message whose line's first param is often its address,
    or nearly (another case, another status), where a wrong rule would show."""
    name, status, tagmsg = draw(_NAMES), draw(st.sampled_from(["", "@", "+"])), draw(st.booleans())
    address = status + name
    near = [address, name, address.upper(), name.upper(), "@" + name, address + " "]
    first = draw(st.sampled_from(near) | st.text(max_size=6))
    rest = draw(st.lists(st.text(), max_size=2))
    line = Line(
        draw(st.sampled_from(["PRIVMSG", "NOTICE", "TAGMSG", "privmsg", "JOIN"]) | st.text()),
        tuple(draw(st.sampled_from([[first, *rest], rest]))),
        draw(st.none() | st.text(max_size=10)),
        draw(_TAGS),
    )
    if draw(st.booleans()):
        return ChannelMessage(name, line, status, tagmsg)
    return PrivateMessage(address, line, tagmsg)


@given(
    st.sampled_from([f"host:1:{p}" for p in _PREFIXES]) | st.text(max_size=8),
    st.integers(0, 2**63 - 1),
    _messages(),
)
def test_a_message_comes_back_exactly(origin: str, seq: int, event: Event) -> None:
    """Whatever a message's line, the receiver rebuilds exactly the sender's: its
    command, params, source, and its tags in their order."""
    assert isinstance(event, ChannelMessage | PrivateMessage)
    back = decode(encode(origin, seq, event))
    assert back == (origin, seq, event)
    line = back[2].line
    assert isinstance(back[2], ChannelMessage | PrivateMessage)
    assert list(line.tags.items()) == list(event.line.tags.items())
    assert type(line.command) is str and all(type(p) is str for p in line.params)
