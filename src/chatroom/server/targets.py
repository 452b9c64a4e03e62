"""Target lists (``NAMES #a,#b``): duplicates collapsed, and as many as TARGMAX says.

The queries below cost the server work (and output) per target, so they take one
target each, as Ergo's do, and say so in RPL_ISUPPORT's ``TARGMAX``
(https://modern.ircdocs.horse/#targmax-parameter). More get ``ERR_TOOMANYTARGETS``
(407, RFC 2812 section 5.2). PRIVMSG and NOTICE have their own limit
(``limits.max_targets``) and their own handling in ``commands/messaging.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer

QUERY_TARGMAX = {"LIST": 1, "NAMES": 1, "WHO": 1, "WHOIS": 1}
"""Targets per command for the queries (advertised in TARGMAX)."""


def distinct(targets: list[str]) -> list[str]:
    """``targets`` without empty ones and without repeats (compared case-folded),
    each kept as first written."""
    seen: set[str] = set()
    out = []
    for target in targets:
        folded = casefold(target)
        if target and folded not in seen:
            seen.add(folded)
            out.append(target)
    return out


def within_targmax(command: str, targets: list[str], rb: ResponseBuffer) -> bool:
    """Whether ``targets`` (already :func:`distinct`) are few enough for ``command``;
    if not, ``ERR_TOOMANYTARGETS`` is added to ``rb``."""
    limit = QUERY_TARGMAX[command]
    if len(targets) <= limit:
        return True
    rb.reply(
        n.ERR_TOOMANYTARGETS,
        ",".join(targets),
        f"Too many targets, {command} takes at most {limit} at once",
    )
    return False
