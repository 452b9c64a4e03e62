"""Hostmasks: ``nick!user@host`` patterns with ``*`` and ``?`` wildcards."""

from __future__ import annotations

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


def valid_mask(mask: str) -> bool:
    """True if a mask can be stored and shown again: no spaces, commas or control
    characters, and no leading ':' (it would become a trailing parameter)."""
    return bool(mask) and mask[0] != ":" and not any(c in mask for c in " ,\x00\r\n\x07")


class Mask:
    """A glob compiled for matching: ``*`` any run, ``?`` one character, ASCII case
    ignored (CASEMAPPING=ascii).

    Matching runs the glob's automaton over the text once, keeping the set of mask
    positions reached as the bits of one integer (the "shift-and" method): one step
    per character of the text and never a step back, whatever the mask's shape. A
    backtracking matcher (a regular expression, or the two-pointer loop that backs up
    to the last ``*``) costs up to len(mask) * len(text) on masks like ``*aaaa…aab``,
    which is how a few channel bans could stall the server (issue 14).
    """

    __slots__ = ("_accept", "_any", "_chars", "_fixed", "_loops", "_prefix", "_suffix")

    def __init__(self, mask: str) -> None:
        folded = casefold(mask)
        chars: dict[str, int] = {}
        any_char = 0
        loops = 0
        bit = 1  # bit i: the first i non-star characters of the mask are matched
        for c in folded:
            if c == "*":
                loops |= bit  # stay here on any character
            else:
                bit <<= 1
                if c == "?":
                    any_char |= bit
                else:
                    chars[c] = chars.get(c, 0) | bit
        self._chars = chars
        self._any = any_char
        self._loops = loops
        self._accept = bit
        # Cheap refusals first: the literal text before the first and after the last
        # wildcard must start and end the text.
        wild = [i for i, c in enumerate(folded) if c in "*?"]
        self._prefix = folded[: wild[0]] if wild else folded
        self._suffix = folded[wild[-1] + 1 :] if wild else ""
        self._fixed = not wild

    def matches(self, text: str) -> bool:
        """True if the whole of ``text`` matches the mask."""
        text = casefold(text)
        if self._fixed:
            return text == self._prefix
        if not (text.startswith(self._prefix) and text.endswith(self._suffix)):
            return False
        chars, any_char, loops = self._chars, self._any, self._loops
        state = 1
        for c in text:
            state = ((state << 1) & (chars.get(c, 0) | any_char)) | (state & loops)
            if not state:
                return False
        return bool(state & self._accept)


@lru_cache(maxsize=4096)
def compile_mask(mask: str) -> Mask:
    """The compiled form of ``mask`` (cached: ban lists ask for the same masks again)."""
    return Mask(mask)


def mask_matches(mask: str, text: str) -> bool:
    """True if glob ``mask`` (``*`` any run, ``?`` one character) matches ``text``,
    ignoring ASCII case. Costs one pass over ``text`` (see :class:`Mask`)."""
    return compile_mask(mask).matches(text)
