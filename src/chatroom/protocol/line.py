"""IRC lines: parse one from text, format one to text.

The grammar is Modern IRC's "Messages" section plus IRCv3 message-tags::

    ['@' <tags> SPACE] [':' <source> SPACE] <command> <parameters> [CRLF]

Parsing follows RFC 1459 in accepting several spaces between atoms (as the
ircdocs parser tests do). Formatting is strict: it refuses CR, LF and NUL in
any part, and a space or leading ':' anywhere but the last parameter, so a
value that came from a user can never inject a second line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from chatroom.errors import LocalProtocolError, MalformedLine
from chatroom.protocol.decoder import MAX_BODY

_EMPTY_TAGS: Mapping[str, str] = MappingProxyType({})

# message-tags: "Escaping values" (https://ircv3.net/specs/extensions/message-tags)
_ESCAPE = {";": r"\:", " ": r"\s", "\\": "\\\\", "\r": r"\r", "\n": r"\n"}
_UNESCAPE = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}

TEXT_AT: Mapping[str, int] = MappingProxyType(
    {"PRIVMSG": 1, "NOTICE": 1, "PART": 1, "QUIT": 0, "KICK": 2, "TOPIC": 1}
)
"""Commands whose parameter at this index is free text. When it is the last one it
is always written as a trailing parameter (``:text``), even a single word: legal
either way, but naive bots split on `` :`` (InspIRCd and Ergo do the same)."""


def _breaks_framing(value: str) -> bool:
    """Whether ``value`` holds CR, LF or NUL. Every relayed line asks this of each part:
    three substring searches in C, not a generator over the characters."""
    return "\r" in value or "\n" in value or "\0" in value


def escape_tag_value(value: str) -> str:
    """Escape a tag value for the wire."""
    if not (";" in value or " " in value or "\\" in value or _breaks_framing(value)):
        return value
    return "".join(_ESCAPE.get(c, c) for c in value)


def unescape_tag_value(value: str) -> str:
    """Undo :func:`escape_tag_value`; an unknown escape drops the backslash."""
    if "\\" not in value:
        return value
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        c = value[i]
        if c == "\\":
            i += 1
            if i < n:
                out.append(_UNESCAPE.get(value[i], value[i]))
        else:
            out.append(c)
        i += 1
    return "".join(out)


def parse_tags(text: str) -> dict[str, str]:
    """Parse the tag section (without the leading '@'). Later duplicates win."""
    tags: dict[str, str] = {}
    for item in text.split(";"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not key:
            raise MalformedLine("Empty tag key")
        tags[key] = unescape_tag_value(value) if sep else ""
    return tags


def format_tags(tags: Mapping[str, str]) -> str:
    """Format tags (without the leading '@'); an empty value is written bare."""
    parts = []
    for key, value in tags.items():
        if not key or " " in key or ";" in key or "=" in key or _breaks_framing(key):
            raise LocalProtocolError(f"Invalid tag key {key!r}")
        parts.append(f"{key}={escape_tag_value(value)}" if value else key)
    return ";".join(parts)


@dataclass(frozen=True, slots=True)
class Line:
    """One IRC message.

    ``command`` is kept as given; :func:`parse` upper-cases it so handlers can
    compare directly. ``params`` are all parameters, the trailing one included.
    """

    command: str
    params: tuple[str, ...] = ()
    source: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY_TAGS)

    def format(self, *, tags: bool = True) -> str:
        """Return the line as wire text, without CRLF (without its tags if ``tags`` is
        False).

        Raises :class:`LocalProtocolError` if any part would break framing.
        """
        # Every relayed message is formatted here once: the checks are substring tests
        # in C, and CR, LF and NUL are looked for once in the whole line, not per part.
        out: list[str] = []
        source = self.source
        if source is not None:
            if not source or " " in source:
                raise LocalProtocolError(f"Invalid source {source!r}")
            out.append(":" + source)
        command = self.command
        if not command or " " in command:
            raise LocalProtocolError(f"Invalid command {command!r}")
        out.append(command)
        params = self.params
        if params:
            *middle, last = params
            for param in middle:
                if not param or " " in param or param[0] == ":":
                    raise LocalProtocolError(f"Invalid middle parameter {param!r}")
                out.append(param)
            if not last or " " in last or last[0] == ":" or TEXT_AT.get(command) == len(middle):
                out.append(":" + last)
            else:
                out.append(last)
        text = " ".join(out)
        if _breaks_framing(text):
            raise LocalProtocolError(f"Line contains CR, LF or NUL: {text!r}")
        return "@" + format_tags(self.tags) + " " + text if tags and self.tags else text

    def to_bytes(self, *, tags: bool = True) -> bytes:
        """The line as UTF-8 wire bytes with CRLF (without its tags if ``tags`` is False)."""
        return self.format(tags=tags).encode() + b"\r\n"

    def __str__(self) -> str:
        return self.format()


def fit(line: Line, limit: int = MAX_BODY) -> Line:
    """``line``, or a copy with its last parameter cut short so that the line without
    its tags, CRLF included, is at most ``limit`` bytes (Modern IRC "Messages": 512).

    For relaying text: a client's line that fits may no longer fit once the server
    puts the sender's ``nick!user@host`` in front, and other servers cut the text
    rather than send a line a client may refuse. The cut falls on a UTF-8 character
    boundary. Raises :class:`LocalProtocolError` as :meth:`Line.format` does.
    """
    size = len(line.to_bytes(tags=False))
    if size <= limit or not line.params:
        return line
    last = line.params[-1].encode()
    cut = last[: max(0, len(last) - (size - limit))].decode("utf-8", "ignore")
    return Line(line.command, (*line.params[:-1], cut), line.source, line.tags)


def parse(text: str) -> Line:
    """Parse one line of text (a trailing CR/LF is tolerated).

    Raises :class:`MalformedLine` when there is no command or the line holds a
    NUL, CR or LF character. The command is upper-cased.
    """
    text = text.rstrip("\r\n")
    if "\0" in text or "\r" in text or "\n" in text:
        # Never let CR, LF or NUL into a parameter: echoed later, it would break the
        # framing of every line that carries it (Modern IRC, "Messages").
        raise MalformedLine("Line contains a NUL, CR or LF character")
    tags: Mapping[str, str] = _EMPTY_TAGS
    source: str | None = None
    pos = 0
    n = len(text)
    while pos < n and text[pos] == " ":
        pos += 1
    if pos < n and text[pos] == "@":
        end = text.find(" ", pos)
        if end == -1:
            raise MalformedLine("Line has tags but no command")
        tags = parse_tags(text[pos + 1 : end])
        pos = end
        while pos < n and text[pos] == " ":
            pos += 1
    if pos < n and text[pos] == ":":
        end = text.find(" ", pos)
        if end == -1:
            raise MalformedLine("Line has a source but no command")
        source = text[pos + 1 : end]
        pos = end
        while pos < n and text[pos] == " ":
            pos += 1
    trailing: str | None = None
    colon = text.find(" :", pos)
    if colon != -1:
        trailing = text[colon + 2 :]
        head = text[pos:colon]
    else:
        head = text[pos:]
    # Only SPACE (0x20) separates atoms; other whitespace belongs to them.
    atoms = [atom for atom in head.split(" ") if atom]
    if not atoms:
        raise MalformedLine("Line has no command")
    command = atoms[0].upper()
    if trailing is not None:
        atoms.append(trailing)
    return Line(command, tuple(atoms[1:]), source, tags)
