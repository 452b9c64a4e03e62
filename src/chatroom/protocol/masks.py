"""Hostmasks: ``nick!user@host`` patterns with ``*`` and ``?`` wildcards."""

from __future__ import annotations

import re
from functools import lru_cache

from chatroom.protocol.casemap import casefold


def normalize_mask(mask: str) -> str:
    """Complete a partial mask the way servers do: ``nick`` → ``nick!*@*``,
    ``user@host`` → ``*!user@host``, ``nick!user`` → ``nick!user@*``."""
    if "!" not in mask and "@" not in mask:
        if "." in mask or ":" in mask:
            return f"*!*@{mask}"
        return f"{mask}!*@*"
    if "!" not in mask:
        return f"*!{mask}"
    if "@" not in mask:
        return f"{mask}@*"
    return mask


@lru_cache(maxsize=4096)
def _compile(mask: str) -> re.Pattern[str]:
    pattern = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in casefold(mask)
    )
    return re.compile(pattern, re.DOTALL)


def mask_matches(mask: str, text: str) -> bool:
    """True if glob ``mask`` matches ``text`` (case-insensitively, ASCII rules)."""
    return _compile(mask).fullmatch(casefold(text)) is not None
