"""A multiline message while its client sends it (https://ircv3.net/specs/extensions/multiline).

A client opens ``BATCH +ref draft/multiline <target>``, sends PRIVMSG (or NOTICE)
lines tagged ``batch=ref`` and closes with ``BATCH -ref``. :class:`Pending` collects
those lines within the limits the cap value advertises and says what is wrong when a
line breaks a rule; sending the whole message is commands/multiline.py's work.

The rules kept here (the spec's FAIL BATCH codes):

- every line has the same verb, PRIVMSG or NOTICE, and the batch's target
  (``MULTILINE_INVALID_TARGET`` for another target, ``MULTILINE_INVALID`` else);
- at most ``max_lines`` lines (``MULTILINE_MAX_LINES``) and ``max_bytes`` bytes of
  text, counting a line break as one byte (``MULTILINE_MAX_BYTES``);
- a concatenated line (``draft/multiline-concat``) is not blank.

Once a rule is broken the batch is *failed*: its lines are dropped, the rest of its
lines are ignored up to its ``BATCH -ref``, and nothing is relayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line

CAP = "draft/multiline"
CONCAT = "draft/multiline-concat"
BATCH_TYPE = "draft/multiline"


def cap_value(max_bytes: int, max_lines: int) -> str:
    """The cap's value in CAP LS 302: ``max-bytes=N,max-lines=N``."""
    return f"max-bytes={max_bytes},max-lines={max_lines}"


@dataclass
class Pending:
    """One multiline batch being received: ``ref``, ``target`` and the client-only
    tags of its ``BATCH +`` line, then its lines as (text, concatenated) pairs."""

    ref: str
    target: str
    tags: dict[str, str]
    verb: str = ""
    parts: list[tuple[str, bool]] = field(default_factory=list)
    size: int = 0  # bytes of text, line breaks included
    failed: bool = False

    def add(self, line: Line, max_bytes: int, max_lines: int) -> tuple[str, ...] | None:
        """Take one line of the batch; None if it is kept, else the FAIL BATCH code and
        its context (the batch is then failed and forgets its lines)."""
        error = self._check(line, max_bytes, max_lines)
        if error is not None:
            self.fail()
        return error

    def _check(self, line: Line, max_bytes: int, max_lines: int) -> tuple[str, ...] | None:
        if line.command not in ("PRIVMSG", "NOTICE") or len(line.params) != 2:
            return ("MULTILINE_INVALID",)
        if self.verb and line.command != self.verb:
            return ("MULTILINE_INVALID",)
        if casefold(line.params[0]) != casefold(self.target):
            return ("MULTILINE_INVALID_TARGET", self.target, line.params[0])
        text = line.params[1]
        concat = CONCAT in line.tags
        if concat and not text:
            return ("MULTILINE_INVALID",)
        if len(self.parts) + 1 > max_lines:
            return ("MULTILINE_MAX_LINES", str(max_lines))
        size = self.size + len(text.encode()) + (1 if self.parts and not concat else 0)
        if size > max_bytes:
            return ("MULTILINE_MAX_BYTES", str(max_bytes))
        self.verb = line.command
        self.size = size
        self.parts.append((text, concat))
        return None

    def fail(self) -> None:
        """Drop what was received: nothing of this batch is relayed."""
        self.failed = True
        self.parts = []

    def text(self) -> str:
        """The whole message as history keeps it: lines joined with a line break,
        concatenated lines joined to the one before without one."""
        out: list[str] = []
        for i, (text, concat) in enumerate(self.parts):
            if i and not concat:
                out.append("\n")
            out.append(text)
        return "".join(out)


def split_stored(text: str, width: int = 400) -> list[tuple[str, bool]]:
    """A stored multiline text as the lines of a batch again: one per line break, a
    line longer than ``width`` bytes cut (at a character boundary) into concatenated
    parts so each fits an IRC line."""
    parts: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        first = True
        while True:
            cut = _cut(line, width)
            parts.append((line[:cut], not first))
            first = False
            line = line[cut:]
            if not line:
                break
    return parts


def _cut(text: str, width: int) -> int:
    """How many characters of ``text`` fit in ``width`` bytes (all of it if it fits)."""
    if len(text.encode()) <= width:
        return len(text)
    size = 0
    for i, char in enumerate(text):
        size += len(char.encode())
        if size > width:
            return max(i, 1)
    return len(text)
