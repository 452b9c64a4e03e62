"""Splitting over-long text into pieces that each fit in one IRC line.

A PRIVMSG must fit in 512 bytes including the sender's prefix the server adds
when relaying (Modern IRC "Message format"), so a long message is sent as
several PRIVMSGs. Cuts fall between UTF-8 characters (never inside one, which
would make both halves invalid UTF-8), preferably at a space, and never inside a
run of combining marks, so no text is lost or mangled.
"""

from __future__ import annotations

import unicodedata

MIN_BUDGET = 16
"""Smallest budget accepted: enough for any single character plus its combining marks
in practice; a caller that computes less has a bug."""


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def split_text(text: str, budget: int) -> list[str]:
    """Split ``text`` into pieces of at most ``budget`` UTF-8 bytes each.

    Joining the pieces (with a single space where a cut fell on a space) gives
    back the text. A cut prefers the last space in the piece if that keeps at
    least half of it; the space itself is dropped. Pieces are never empty, and an
    empty text gives no pieces. Raises :class:`ValueError` if ``budget`` is below
    :data:`MIN_BUDGET`.
    """
    if budget < MIN_BUDGET:
        raise ValueError(f"budget of {budget} bytes is too small to split text")
    pieces: list[str] = []
    rest = text
    while utf8_len(rest) > budget:
        cut = _fit(rest, budget)
        space = rest.rfind(" ", 0, cut + 1)
        if space > 0 and utf8_len(rest[:space]) * 2 >= budget:
            pieces.append(rest[:space])
            rest = rest[space + 1 :]
        else:
            pieces.append(rest[:cut])
            rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return pieces


def _fit(text: str, budget: int) -> int:
    """The largest index ``i`` such that ``text[:i]`` fits in ``budget`` bytes and
    ``text[i]`` does not continue the character before it (a combining mark,
    a variation selector or a zero-width joiner)."""
    size = 0
    cut = 0
    for i, char in enumerate(text):
        size += utf8_len(char)
        if size > budget:
            break
        cut = i + 1
    # Step back over characters that attach to the one before them.
    while cut > 1 and _attaches(text[cut]):
        cut -= 1
    while cut > 1 and text[cut - 1] == "\u200d":
        cut -= 1
    return max(cut, 1)


def _attaches(char: str) -> bool:
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me")
        or "\ufe00" <= char <= "\ufe0f"
        or char == "\u200d"
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin-tone modifiers
    )
