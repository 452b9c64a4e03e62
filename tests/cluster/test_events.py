"""Cluster events survive the trip through JSON; anything else is a ValueError."""

from __future__ import annotations

import json

import pytest

from chatroom.cluster import channels
from chatroom.cluster.events import decode, encode
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


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_round_trip(event: Event) -> None:
    assert decode(encode("proc-1", event)) == ("proc-1", event)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[]",
        b"{}",
        b'{"o":"p","t":"nope"}',
        b'{"o":"p","t":"gone"}',
        b'{"o":1,"t":"gone","reason":"x"}',
        b'{"o":"p","t":"leave","channel":"#a","nick":"b","line":[{},null,"PART",[1]]}',
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
    assert decode(encode("proc-1", event)) == ("proc-1", event)


def test_a_user_up_from_an_older_process_decodes_with_defaults() -> None:
    _origin, event = decode(b'{"o":"p","t":"up","nick":"Al","source":"Al!u@h"}')
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
        Join("#room", "al", "Al!u@h", "", "*", "Al", Line("JOIN", ("#Room",), "a"), STATE),
    ],
    ids=lambda e: type(e).__name__,
)
def test_channel_state_events_round_trip(event: Event) -> None:
    assert decode(encode("proc-1", event)) == ("proc-1", event)


def test_only_a_channel_update_may_come_without_a_line() -> None:
    with pytest.raises(ValueError):
        decode(b'{"o":"p","t":"invite","channel":"#a","target":"b","line":null}')


def test_fields_this_version_does_not_know_are_ignored() -> None:
    """A newer process may add a field to an event: older ones still read it."""
    data = b'{"o":"p","t":"up","nick":"Al","source":"Al!u@h","colour":"blue","x":[1]}'
    assert decode(data) == ("p", UserUp("Al", "Al!u@h"))


_AWAY = '[{},"a!u@h","AWAY",["lunch"]]'
_JOIN = '[{},"a!u@h","JOIN",["#a"]]'


@pytest.mark.parametrize(
    "body",
    [
        # UserUp: every field has its type
        '"t":"up","nick":"Al","source":"Al!u@h","modes":null',
        '"t":"up","nick":"Al","source":"Al!u@h","modes":5',
        '"t":"up","nick":"Al","source":"Al!u@h","away":5',
        '"t":"up","nick":"Al","source":"Al!u@h","account":["a"]',
        '"t":"up","nick":null,"source":"Al!u@h"',
        '"t":"up","nick":"Al","source":"Al!u@h","signon":"1"',
        '"t":"up","nick":"Al","source":"Al!u@h","signon":true',
        '"t":"up","nick":"Al","source":"Al!u@h","secure":1',
        # UserState: modes a string, a line only AWAY/ACCOUNT/SETNAME
        '"t":"state","nick":"al","realname":"R","account":null,"away":null,"modes":null',
        '"t":"state","nick":"al","realname":"R","account":null,"away":null,"modes":"",'
        '"line":[{},"a!u@h","PRIVMSG",["x","y"]]',
        '"t":"state","nick":"al","realname":"R","account":null,"away":null,"modes":"",'
        '"line":"AWAY"',
        # null only where a field may be None
        '"t":"join","channel":"#a","nick":"al","source":"s","status":"","account":"*",'
        '"realname":"R","line":null',
        '"t":"msg","channel":"#a","line":null',
        '"t":"leave","channel":"#a","nick":null,"line":' + _JOIN,
        # tuples of the right shape
        '"t":"quit","nick":"al","channels":"#a","line":' + _JOIN,
        '"t":"quit","nick":"al","channels":[1],"line":' + _JOIN,
        '"t":"nick","old":"al","new":"Bo","source":"s","memberships":[["#a"]],"line":' + _JOIN,
        '"t":"nick","old":"al","new":"Bo","source":"s","memberships":[["#a","o","x"]],'
        '"line":' + _JOIN,
        # the channel-state events too
        '"t":"cstate","channel":"#a","state":{"n":"#a"}',
        '"t":"cstate","channel":"#a","state":"{}","statuses":[["bob",null]]',
        '"t":"cstate","channel":"#a","state":"{}"',  # a state must be a whole one
        '"t":"cstate","channel":"#a","state":"{not json"',
        '"t":"join","channel":"#a","nick":"al","source":"s","status":"","account":"*",'
        '"realname":"R","line":' + _JOIN + ',"state":"{\\"n\\":\\"#a\\"}"',
        '"t":"created","channel":"#a","nick":"al","state":""',
        '"t":"invite","channel":"#a","target":5,"line":' + _AWAY,
        '"t":"created","channel":"#a","nick":"al","state":null',
        '"t":"gone","reason":false',
    ],
)
def test_a_field_of_the_wrong_type_is_refused(body: str) -> None:
    with pytest.raises(ValueError):
        decode(('{"o":"p",' + body + "}").encode())


@pytest.mark.parametrize("command", ["AWAY", "ACCOUNT", "SETNAME"])
def test_a_user_state_carries_a_notification(command: str) -> None:
    line = f'[{{}},"a!u@h","{command}",["x"]]'
    data = '{"o":"p","t":"state","nick":"al","realname":"R","account":null,"away":null,'
    _origin, event = decode((data + f'"modes":"","line":{line}}}').encode())
    assert isinstance(event, UserState) and event.line is not None
    assert event.line.command == command


def test_resync_round_trip() -> None:
    event = Resync(1_700_000_000_123)
    assert decode(encode("proc-1", event)) == ("proc-1", event)


def test_a_channel_state_travels_as_the_text_redis_stores() -> None:
    """The wire form is the one older processes wrote: the state's JSON text inside
    the envelope, and "" for none (an older process's Join, a status change)."""
    body = json.loads(encode("p", ChannelUpdate("#room", STATE)))
    assert body["state"] == channels.dump(STATE)
    assert json.loads(encode("p", ChannelUpdate("#room", None)))["state"] == ""
    line = '[{},"a!u@h","JOIN",["#a"]]'
    old = '{"o":"p","t":"join","channel":"#a","nick":"al","source":"s","status":"",'
    _origin, join = decode((old + f'"account":"*","realname":"R","line":{line}}}').encode())
    assert isinstance(join, Join) and join.state is None
