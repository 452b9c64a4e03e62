"""Multiline messages (https://ircv3.net/specs/extensions/multiline) on the client side.

Sending: a text with line breaks goes as one ``draft/multiline`` batch when the server
offers the cap (and ``batch``) and the text fits the limits in its value; a line too
long for one PRIVMSG is cut into ``draft/multiline-concat`` parts. Otherwise the
caller sends the lines one by one, as before.

Receiving: the lines of a ``draft/multiline`` batch are held (as history is) and
joined at its end into one PRIVMSG line whose text has the line breaks, which the
handlers then treat as any other message.
"""

from __future__ import annotations

import itertools

from chatroom.client.records import OpenBatch
from chatroom.client.state import ClientState
from chatroom.client.textsplit import MIN_BUDGET, utf8_len
from chatroom.protocol import Line

CAP = "draft/multiline"
BATCH = "draft/multiline"
CONCAT = "draft/multiline-concat"

_refs = itertools.count(1)


def limits(client: ClientState) -> tuple[int, int] | None:
    """The server's (max-bytes, max-lines), or None when multiline cannot be sent."""
    if CAP not in client.caps or "batch" not in client.caps:
        return None
    values = dict(
        item.partition("=")[::2] for item in client.cap_values.get(CAP, "").split(",") if item
    )
    try:
        max_bytes = int(values.get("max-bytes", ""))
    except ValueError:
        return None  # the spec makes max-bytes mandatory
    try:
        max_lines = int(values.get("max-lines", ""))
    except ValueError:
        max_lines = max_bytes  # no line limit given
    return max_bytes, max_lines


def batch_lines(
    client: ClientState,
    target: str,
    text: str,
    budget: int,
    tags: dict[str, str] | None = None,
) -> list[Line] | None:
    """``text`` as the lines of one multiline batch to ``target`` (each fits
    ``budget`` bytes), or None when the server takes none or the text exceeds its
    limits (the caller then sends the lines one by one). ``tags`` (client tags such
    as ``+draft/reply``) go on the opening ``BATCH``: the spec applies them to the
    whole message."""
    found = limits(client)
    if found is None or budget < MIN_BUDGET:
        return None
    max_bytes, max_lines = found
    parts = [
        (piece, i > 0) for line in text.split("\n") for i, piece in enumerate(cut(line, budget))
    ]
    if len(parts) > max_lines or utf8_len(text) > max_bytes:
        return None
    ref = f"m{next(_refs)}"
    out = [Line("BATCH", (f"+{ref}", BATCH, target), None, dict(tags or {}))]
    for piece, concat in parts:
        tags = {"batch": ref, CONCAT: ""} if concat else {"batch": ref}
        out.append(Line("PRIVMSG", (target, piece), None, tags))
    out.append(Line("BATCH", (f"-{ref}",)))
    return out


def cut(line: str, budget: int) -> list[str]:
    """``line`` in pieces of at most ``budget`` bytes that join back to it exactly
    (a cut falls after a space when one is in the second half); [""] for ""."""
    pieces: list[str] = []
    rest = line
    while utf8_len(rest) > budget:
        size, end = 0, 0
        for i, char in enumerate(rest):
            size += utf8_len(char)
            if size > budget:
                break
            end = i + 1
        space = rest.rfind(" ", 0, end)
        if space + 1 > end // 2:
            end = space + 1
        pieces.append(rest[: max(end, 1)])
        rest = rest[max(end, 1) :]
    pieces.append(rest)
    return [p for p in pieces if p] or [""]


def joined(batch: OpenBatch) -> Line | None:
    """A received multiline batch as one PRIVMSG (or NOTICE) line with the batch's
    tags and source and the text of its lines (line breaks between them, none before
    a concatenated one); None if it holds no message."""
    opening = batch.opening
    lines = [line for line in batch.lines if line.command in ("PRIVMSG", "NOTICE")]
    if opening is None or not lines or len(lines[0].params) < 2:
        return None
    text = ""
    for i, line in enumerate(lines):
        piece = line.params[-1]
        text += piece if i == 0 or CONCAT in line.tags else "\n" + piece
    tags = {k: v for k, v in opening.tags.items() if k != "batch"}
    target = batch.params[0] if batch.params else lines[0].params[0]
    return Line(lines[0].command, (target, text), opening.source, tags)
