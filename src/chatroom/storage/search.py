"""The full-text search query (``SEARCH``, soju.im/search), as every history backend takes it.

The rules of matching live here and in :mod:`chatroom.storage.memory` (the reference the
SQL backends follow): the text is one case-insensitive substring of the message, TAGMSG is
never found (it has no text), the bounds are inclusive, the newest matches come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Search"]


@dataclass(frozen=True, slots=True)
class Search:
    """A full-text search: the newest *limit* matches.

    Where: the conversations *targets* (keys the caller may read) plus, when *dms_of* is a
    casefolded nick, every private conversation of that nick. The caller decides what may be
    read; the store only filters. What: *text* is matched as one case-insensitive substring
    of the message (``""`` matches every message); *sender*, a casefolded nick, must be the
    nick of the source; *after* and *before* bound the time, both inclusive (the spec's
    words).
    """

    text: str
    limit: int
    targets: tuple[str, ...] = ()
    dms_of: str | None = None
    sender: str | None = None
    after: datetime | None = None
    before: datetime | None = None

    def __post_init__(self) -> None:
        if self.limit < 0:
            raise ValueError(f"a search limit cannot be negative: {self.limit}")
