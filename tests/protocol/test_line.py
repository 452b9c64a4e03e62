"""Line parsing and formatting, against the shared ircdocs parser test vectors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from parser_tests import data as vectors

from chatroom.errors import LocalProtocolError, MalformedLine
from chatroom.protocol.line import Line, escape_tag_value, fit, parse, unescape_tag_value


@pytest.mark.parametrize("case", vectors.msg_split["tests"], ids=lambda c: c["input"][:40])
def test_msg_split_vectors(case: dict[str, object]) -> None:
    line = parse(str(case["input"]))
    atoms = case["atoms"]
    assert isinstance(atoms, dict)
    assert dict(line.tags) == (atoms.get("tags") or {})
    assert line.source == atoms.get("source")
    assert line.command == str(atoms["verb"]).upper()
    assert list(line.params) == (atoms.get("params") or [])


@pytest.mark.parametrize("case", vectors.msg_join["tests"], ids=lambda c: str(c["atoms"])[:40])
def test_msg_join_vectors(case: dict[str, object]) -> None:
    atoms = case["atoms"]
    assert isinstance(atoms, dict)
    line = Line(
        atoms["verb"],
        tuple(atoms.get("params") or ()),
        atoms.get("source"),
        atoms.get("tags") or {},
    )
    matches = case["matches"]
    assert isinstance(matches, list)
    # Tag order is not significant; compare parsed forms for tagged lines.
    formatted = line.format()
    assert formatted in matches or any(parse(formatted) == parse(m) for m in matches)


@pytest.mark.parametrize("text", ["", "   ", "@a=b", ":source", "@a :src"])
def test_no_command_is_malformed(text: str) -> None:
    with pytest.raises(MalformedLine):
        parse(text)


def test_nul_is_malformed() -> None:
    with pytest.raises(MalformedLine):
        parse("PRIVMSG #a :hi\0there")


def test_command_is_uppercased_and_crlf_tolerated() -> None:
    assert parse("privmsg #a :hi\r\n") == Line("PRIVMSG", ("#a", "hi"))


@pytest.mark.parametrize(
    "params",
    [("#a", "x\r\nQUIT"), ("#a", "nul\0"), ("a b", "x"), (":x", "y"), ("", "y")],
)
def test_format_refuses_injection(params: tuple[str, ...]) -> None:
    with pytest.raises(LocalProtocolError):
        Line("PRIVMSG", params).format()


@pytest.mark.parametrize("bad", ["\r", "\n", "\0"])
@pytest.mark.parametrize("where", ["source", "command", "middle", "last", "tagless"])
def test_format_refuses_cr_lf_nul_in_every_part(bad: str, where: str) -> None:
    """Framing is checked once over the whole line: no part may slip through."""
    source = f"a{bad}b!u@h" if where == "source" else "a!u@h"
    command = f"PRIV{bad}MSG" if where == "command" else "PRIVMSG"
    params = (f"#a{bad}", "x") if where == "middle" else ("#a", f"x{bad}y")
    line = Line(command, params, source, {"k": "v"})
    with pytest.raises(LocalProtocolError):
        line.format(tags=where != "tagless")
    with pytest.raises(LocalProtocolError):
        line.to_bytes(tags=where != "tagless")


def test_format_refuses_bad_source_and_tag_key() -> None:
    with pytest.raises(LocalProtocolError):
        Line("PRIVMSG", ("#a", "x"), "evil\r\nKILL").format()
    with pytest.raises(LocalProtocolError):
        Line("PRIVMSG", ("#a", "x"), None, {"a;b": "1"}).format()


def test_last_param_gets_colon_only_when_needed() -> None:
    assert Line("MODE", ("#a", "+n")).format() == "MODE #a +n"
    assert Line("AWAY", ("lunch",)).format() == "AWAY lunch"
    assert Line("MODE", ("#a", "+b", "a b")).format() == "MODE #a +b :a b"
    assert Line("MODE", ("#a", "")).format() == "MODE #a :"
    assert Line("MODE", ("#a", ":)")).format() == "MODE #a ::)"


@pytest.mark.parametrize(
    ("line", "wire"),
    [
        (Line("PRIVMSG", ("#a", "hi")), "PRIVMSG #a :hi"),
        (Line("NOTICE", ("bob", "hi")), "NOTICE bob :hi"),
        (Line("PART", ("#a", "bye")), "PART #a :bye"),
        (Line("QUIT", ("gone",)), "QUIT :gone"),
        (Line("KICK", ("#a", "bob", "out")), "KICK #a bob :out"),
        (Line("TOPIC", ("#a", "news")), "TOPIC #a :news"),
        # Only the text: a PART or TOPIC without one stays as it is.
        (Line("PART", ("#a",)), "PART #a"),
        (Line("TOPIC", ("#a",)), "TOPIC #a"),
        (Line("KICK", ("#a", "bob")), "KICK #a bob"),
    ],
)
def test_text_is_always_a_trailing_parameter(line: Line, wire: str) -> None:
    # Issue 17: legal either way, but naive bots split on " :" (InspIRCd and Ergo
    # always send the text of these commands as a trailing parameter).
    assert line.format() == wire


def test_tag_escaping_round_trip() -> None:
    value = "a; b\\c\r\nd"
    assert unescape_tag_value(escape_tag_value(value)) == value
    assert unescape_tag_value("trailing\\") == "trailing"


_middle = st.text(
    alphabet=st.characters(blacklist_characters=" \r\n\0", blacklist_categories=("Cs",)),
    min_size=1,
).filter(lambda s: not s.startswith(":"))
_trailing = st.text(alphabet=st.characters(exclude_characters="\r\n\0", exclude_categories=("Cs",)))
_command = st.from_regex(r"\A[A-Z]{1,10}\Z|\A[0-9]{3}\Z")
_tag_key = st.from_regex(r"\A\+?[a-z][a-z0-9\-/.]{0,15}\Z")


@given(
    command=_command,
    middles=st.lists(_middle, max_size=5),
    trailing=st.one_of(st.none(), _trailing),
    source=st.one_of(st.none(), _middle),
    tags=st.dictionaries(_tag_key, _trailing, max_size=4),
)
def test_format_parse_round_trip(
    command: str,
    middles: list[str],
    trailing: str | None,
    source: str | None,
    tags: dict[str, str],
) -> None:
    params = tuple(middles) + ((trailing,) if trailing is not None else ())
    line = Line(command, params, source, tags)
    assert parse(line.format()) == line


@given(
    st.text(st.characters(exclude_characters="\r\n\0", exclude_categories=("Cs",))),
    st.integers(min_value=20, max_value=600),
)
def test_fit_cuts_the_last_parameter_on_a_character_boundary(text: str, limit: int) -> None:
    line = Line("PRIVMSG", ("#c", text), "nick!user@host")
    fitted = fit(line, limit)
    size = len(fitted.to_bytes(tags=False))
    assert size <= limit or fitted.params[1] == ""
    assert fitted.params[0] == "#c" and text.startswith(fitted.params[1])
    if fitted.params[1] != text:  # cut, at most one character (and a ':') too many
        longer = Line("PRIVMSG", ("#c", text[: len(fitted.params[1]) + 1]), "nick!user@host")
        assert len(longer.to_bytes(tags=False)) >= limit
    elif len(line.to_bytes(tags=False)) <= limit:
        assert fitted is line


def test_fit_keeps_the_tags_and_the_source() -> None:
    line = Line("NOTICE", ("bob", "é" * 300), "n!u@h", {"msgid": "x"})
    fitted = fit(line)
    assert len(fitted.to_bytes(tags=False)) in (511, 512)
    assert fitted.tags == {"msgid": "x"} and fitted.source == "n!u@h"
