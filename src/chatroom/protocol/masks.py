"""Hostmasks: ``nick!user@host`` patterns with ``*`` and ``?`` wildcards."""

from __future__ import annotations

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


def valid_mask(mask: str) -> bool:
    """True if a mask can be stored and shown again: no spaces, commas or control
    characters, and no leading ':' (it would become a trailing parameter)."""
    return bool(mask) and mask[0] != ":" and not any(c in mask for c in " ,\x00\r\n\x07")


def mask_matches(mask: str, text: str) -> bool:
    """True if glob ``mask`` (``*`` any run, ``?`` one character) matches ``text``,
    ignoring ASCII case.

    An iterative two-pointer match that backs up only to the last ``*``: O(len(mask) *
    len(text)) at worst, so a hostile mask like ``*a*a*a*a*b`` cannot stall the server
    (a regular expression would backtrack exponentially).
    """
    m = casefold(mask)
    t = casefold(text)
    mi = ti = 0
    star = -1
    resume = 0
    while ti < len(t):
        if mi < len(m) and (m[mi] == "?" or m[mi] == t[ti]):
            mi += 1
            ti += 1
        elif mi < len(m) and m[mi] == "*":
            star = mi
            resume = ti
            mi += 1
        elif star != -1:
            mi = star + 1
            resume += 1
            ti = resume
        else:
            return False
    while mi < len(m) and m[mi] == "*":
        mi += 1
    return mi == len(m)
