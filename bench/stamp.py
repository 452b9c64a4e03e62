"""The stamp each benchmark message carries, and its parser.

A message's text is ``"<sender> <seq> <sent_ns> <padding>"``: the sender's global client id,
the sender's sequence number (from 0) and the send time from :func:`time.monotonic_ns`, which
on Linux reads CLOCK_MONOTONIC, one clock for every process on the machine, so a receiver in
another worker process can subtract it from its own reading.

The parser works on raw bytes lines as they arrive (``:src PRIVMSG #room :text``, with or
without tags and ``\\r``), because only sampling receivers parse at all and they must be cheap.
"""

from __future__ import annotations

from typing import NamedTuple

#: Padding character; any byte that is not a space works.
PAD_BYTE = b"x"


class Stamp(NamedTuple):
    """What a receiver learns from one message."""

    sender: int
    seq: int
    sent_ns: int


def format_text(sender: int, seq: int, sent_ns: int, size: int = 0) -> bytes:
    """Return the message text for a stamp, padded with ``x`` to at least ``size`` bytes.

    The text always ends with a space and padding, so a parser never sees the time glued to
    a line ending. It never contains ``\\r``, ``\\n`` or NUL, so it is a valid IRC trailing
    parameter.
    """
    head = b"%d %d %d " % (sender, seq, sent_ns)
    pad = max(1, size - len(head))
    return head + PAD_BYTE * pad


def parse_line(line: bytes) -> Stamp | None:
    """Return the stamp in a PRIVMSG line, or None when the line carries none.

    ``line`` is one IRC line as received (tags, source and trailing ``\\r`` allowed). After
    the tags and the source are skipped, the trailing parameter starts at the first ``" :"``:
    a command and a channel name cannot contain a space.
    """
    pos = 0
    if line.startswith(b"@"):
        pos = line.find(b" ") + 1
        if pos == 0:
            return None
    if line.startswith(b":", pos):
        pos = line.find(b" ", pos) + 1
        if pos == 0:
            return None
    start = line.find(b" :", pos)
    if start < 0:
        return None
    parts = line[start + 2 :].split(b" ", 3)
    if len(parts) < 3:
        return None
    try:
        return Stamp(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None
