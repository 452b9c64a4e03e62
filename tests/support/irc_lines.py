"""A hypothesis strategy for IRC lines a hostile client may send: every command of
the server's table, with parameters that have broken handlers before (Unicode
digits, empty, huge and negative numbers, masks, anchors, subcommands)."""

from __future__ import annotations

from hypothesis import strategies as st

from chatroom.errors import LocalProtocolError
from chatroom.protocol.line import Line
from chatroom.server.commands.table import COMMANDS

COMMAND_NAMES = [*sorted(COMMANDS), "FOO", "005"]

_SPECIAL = [
    "",
    "*",
    "0",
    "1",
    "-1",
    "-0",
    "302",
    "²",
    "٣",
    "1²",
    "-٣",
    "+1",
    "1_000",
    "9" * 20,
    "9" * 400,
    "-" + "9" * 400,
    ">²",
    "<٣",
    ">5",
    "<-1",
    ">" + "9" * 400,
    "#lobby",
    "#c",
    "#lobby,#lobby,#c",
    "#",
    ",",
    "alice",
    "bob",
    "alice,bob,alice",
    "*!*@*",
    "+l",
    "-l",
    "+k",
    "+b",
    "+o",
    "+lk",
    "+v-o+l",
    "+i",
    "LS",
    "REQ",
    "END",
    "LIST",
    "LATEST",
    "BEFORE",
    "AFTER",
    "AROUND",
    "BETWEEN",
    "TARGETS",
    "timestamp=2020-01-01T00:00:00Z",
    "timestamp=²",
    "timestamp=9999-99-99T99:99:99Z",
    "msgid=",
    "msgid=x",
    "PLAIN",
    "SCRAM-SHA-256",
    "+",
    "=",
    "AAAA",
    "REGISTER",
    "HELP",
    "INFO",
    ":",
    "::x",
]

param = st.one_of(
    st.sampled_from(_SPECIAL),
    st.text(st.characters(exclude_characters="\r\n\0", exclude_categories=["Cs"]), max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.lists(st.sampled_from(_SPECIAL), min_size=1, max_size=4).map(",".join),
)


def _line(command: str, params: list[str]) -> bytes:
    """The line as bytes; parameters IRC cannot carry in the middle (empty, with a
    space, starting with ':') or too many bytes are folded into a shorter last one."""
    try:
        data = Line(command, tuple(params)).to_bytes()
    except LocalProtocolError:
        data = Line(command, (" ".join(params),)).to_bytes()
    if len(data) > 512:
        data = Line(command, (" ".join(params).encode()[:400].decode(errors="ignore"),)).to_bytes()
    return data


number = st.one_of(
    st.sampled_from(["²", "٣", "1²", "-٣", "+1", "-1", "0", "1", "", "9" * 20, "9" * 400]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
"""What a client may send where a number belongs."""

_channel = st.sampled_from(["#lobby", "#c", "#new", "#lobby,#lobby", "#c,#lobby,#new", "*"])
_nick = st.sampled_from(["alice", "bob", "nobody", "alice,alice", "alice,bob", "*"])
_ref = st.one_of(
    st.sampled_from(["*", "timestamp=2020-01-01T00:00:00Z", "msgid=x", "timestamp=²"]),
    number.map("timestamp={}".format),
)
_S = st.just

# Commands in the shape their handlers expect, with numbers (and lists) where they
# take them: random parameters alone rarely reach that far into a handler.
_TEMPLATES = [
    (_S("CAP"), _S("LS"), number),
    (
        _S("CHATHISTORY"),
        st.sampled_from(["LATEST", "BEFORE", "AFTER", "AROUND"]),
        _channel | _nick,
        _ref,
        number,
    ),
    (_S("CHATHISTORY"), _S("BETWEEN"), _channel | _nick, _ref, _ref, number),
    (_S("CHATHISTORY"), _S("TARGETS"), _ref, _ref, number),
    (_S("MODE"), _channel, st.sampled_from(["+l", "+lk", "+kl", "-l", "+b", "+o"]), number | _nick),
    (_S("LIST"), st.tuples(st.sampled_from("<>"), number).map("".join)),
    (_S("LIST"), _channel, st.tuples(st.sampled_from("<>"), number).map("".join)),
    (_S("WHOWAS"), _nick, number),
    (_S("KLINE"), number, st.sampled_from(["*!*@10.9.9.9", "x"]), param),
    (_S("NAMES"), _channel),
    (_S("WHO"), _channel | _nick | _S("*")),
    (_S("WHOIS"), _nick),
    (_S("WHOIS"), _nick, _nick),
    (_S("JOIN"), _channel),
    (_S("TOPIC"), _channel, param),
]

_shaped = st.one_of(
    *(st.tuples(*template).map(lambda t: _line(t[0], list(t[1:]))) for template in _TEMPLATES)
)
_random = st.builds(_line, st.sampled_from(COMMAND_NAMES), st.lists(param, max_size=6))

irc_line = st.one_of(_shaped, _random)
"""One line (bytes, with CR LF, at most 512 bytes) that the parser accepts."""
