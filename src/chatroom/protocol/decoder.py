"""A bounded line decoder: bytes in, text lines out.

Limits (Modern IRC "Message format", IRCv3 message-tags "Size limit"):
the part after the tags may be at most 512 bytes including CRLF, and the tag
section from a client at most 4094 bytes plus the '@' and the space. These are
security limits: a peer cannot make the buffer grow past them.

Use it like this::

    decoder.receive_data(data)
    while True:
        try:
            line = decoder.next_line()
        except RemoteProtocolError as exc:
            ...  # answer the hint in exc; the decoder is ready for the next line
            continue
        if line is None:
            break
        ...

Empty lines (a bare ``\\n`` or ``\\r\\n``) are skipped, as Modern IRC asks.
"""

from __future__ import annotations

from chatroom.errors import InputTooLong, InvalidUtf8, RemoteProtocolError

MAX_BODY = 512
"""Bytes allowed after the tags, CRLF included."""

MAX_CLIENT_TAGS = 4094
"""Bytes of tag data a client may send, without the '@' and the space."""


class LineDecoder:
    """Split a byte stream into lines, enforcing length limits and UTF-8."""

    __slots__ = ("_buffer", "_discarding", "_head", "_lines", "_queued", "max_body", "max_tags")

    def __init__(self, max_body: int = MAX_BODY, max_tags: int = MAX_CLIENT_TAGS) -> None:
        self.max_body = max_body
        self.max_tags = max_tags
        self._buffer = b""
        self._discarding = False
        # Lines not yet taken are _lines[_head:]. A list with a read index, not a deque:
        # an idle connection's empty list costs 56 bytes, an empty deque 760.
        self._lines: list[bytes | RemoteProtocolError] = []
        self._head = 0
        self._queued = 0

    @property
    def max_line(self) -> int:
        """The longest raw line (tags, separators, body and CRLF) accepted."""
        return self.max_tags + 2 + self.max_body

    def receive_data(self, data: bytes) -> None:
        """Take bytes from the peer. Never raises; problems come out of :meth:`next_line`."""
        if not data:
            return
        buffer = self._buffer + data if self._buffer else data
        parts = buffer.split(b"\n")
        rest = parts.pop()
        lines = self._lines
        for raw in parts:
            if self._discarding:
                # The tail of a line already reported as too long.
                self._discarding = False
                continue
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if raw:
                item = self._check_length(raw)
                lines.append(item)
                if item is raw:
                    self._queued += len(raw)
        if len(rest) > self.max_line:
            if not self._discarding:
                lines.append(InputTooLong("Input line too long"))
                self._discarding = True
            rest = b""
        self._buffer = rest

    def _check_length(self, raw: bytes) -> bytes | RemoteProtocolError:
        body_len = len(raw)
        if raw[:1] == b"@":
            space = raw.find(b" ")
            tags_len = (space if space != -1 else body_len) - 1
            if tags_len > self.max_tags:
                return InputTooLong("Input line too long")
            body_len -= tags_len + 2
        if body_len + 2 > self.max_body:
            return InputTooLong("Input line too long")
        return raw

    def next_line(self) -> str | None:
        """Return the next complete line as text, or ``None`` when none is ready.

        Raises :class:`InputTooLong` or :class:`InvalidUtf8` for a line that
        breaks the rules; that line is consumed and the next call goes on.
        """
        lines = self._lines
        if self._head >= len(lines):
            return None
        item = lines[self._head]
        self._head += 1
        if self._head == len(lines):
            lines.clear()
            self._head = 0
        if isinstance(item, RemoteProtocolError):
            raise item
        self._queued -= len(item)
        try:
            return item.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidUtf8("Input line contained invalid UTF-8", _command_of(item)) from None

    @property
    def has_line(self) -> bool:
        """True if :meth:`next_line` has a line (or an error) to give."""
        return self._head < len(self._lines)

    @property
    def queued_bytes(self) -> int:
        """Bytes held: complete lines not yet taken plus an unfinished line."""
        return self._queued + len(self._buffer)


def _command_of(raw: bytes) -> str:
    """Best-effort command name of an undecodable line, for the error reply."""
    atoms = raw.split()
    while atoms and atoms[0][:1] in (b"@", b":"):
        atoms.pop(0)
    if not atoms:
        return "*"
    command = atoms[0].decode("ascii", "replace").upper()
    return command if command.isalnum() else "*"
