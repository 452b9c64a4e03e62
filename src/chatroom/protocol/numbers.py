"""Numbers in what a client sends: ASCII decimal digits only, and not too many.

Every number a handler reads from a parameter (``CAP LS 302``, a CHATHISTORY
limit, ``MODE +l``, ``LIST >3``, a WHOWAS count, KLINE minutes) is parsed here,
because the obvious check is wrong: :meth:`str.isdigit` accepts ``²`` and ``٣``,
which :func:`int` refuses, and :func:`int` itself accepts ``+1``, `` 1``,
``1_000`` and thousands of digits (slowly). A parameter that is not a number is
the caller's to answer, with the numeric or ``FAIL`` its command uses.
"""

from __future__ import annotations

MAX_DIGITS = 15
"""Longer numbers are refused: no IRC count or limit needs more, and every value
parsed fits a 64-bit integer and a :class:`datetime.timedelta` in minutes."""

_DIGITS = frozenset("0123456789")


def parse_number(text: str, *, signed: bool = False) -> int | None:
    """The value of ``text`` if it is 1 to :data:`MAX_DIGITS` ASCII digits (with
    ``signed``, after an optional ``-``); None for anything else."""
    digits = text[1:] if signed and text[:1] == "-" else text
    if not 0 < len(digits) <= MAX_DIGITS or not _DIGITS.issuperset(digits):
        return None
    value = int(digits)
    return -value if len(digits) < len(text) else value
