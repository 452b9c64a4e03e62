"""Who watches whom: the per-server index behind IRCv3 MONITOR
(https://ircv3.net/specs/extensions/monitor).

Pure data, no I/O. A watcher (a session) watches nicks, casefolded; the index
answers both ways: the nicks one watcher watches (for ``MONITOR L``/``S``, and to
forget them when it leaves) and the watchers of one nick (for 730/731 when that
nick comes, goes or is renamed, here or on another process). The two maps are
kept in step by the methods; nothing else writes them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Generic, TypeVar

W = TypeVar("W", bound=Hashable)

_NOBODY: frozenset[object] = frozenset()


class Watchlist(Generic[W]):
    """The MONITOR lists of every watcher of one server."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[W]] = {}  # folded nick -> who watches it
        self._watched: dict[W, dict[str, str]] = {}  # watcher -> folded -> as given

    def watched(self, watcher: W) -> Mapping[str, str]:
        """What ``watcher`` watches: folded nick -> the nick as it gave it, in the
        order it added them (read-only use)."""
        return self._watched.get(watcher, {})

    def watchers(self, folded: str) -> frozenset[W]:
        """Everyone who watches the nick ``folded`` (a copy)."""
        found = self._watchers.get(folded)
        return frozenset(found) if found else _NOBODY  # type: ignore[return-value]

    def add(self, watcher: W, folded: str, nick: str) -> None:
        """``watcher`` watches ``nick`` (casefolded: ``folded``); no error if it did."""
        self._watched.setdefault(watcher, {}).setdefault(folded, nick)
        self._watchers.setdefault(folded, set()).add(watcher)

    def remove(self, watcher: W, folded: str) -> None:
        """``watcher`` no longer watches ``folded`` (no error if it did not)."""
        watched = self._watched.get(watcher)
        if watched is None or watched.pop(folded, None) is None:
            return
        if not watched:
            del self._watched[watcher]
        watchers = self._watchers[folded]
        watchers.discard(watcher)
        if not watchers:
            del self._watchers[folded]

    def clear(self, watcher: W) -> None:
        """``watcher`` watches nothing any more (``MONITOR C``, or it left)."""
        for folded in list(self._watched.get(watcher, ())):
            self.remove(watcher, folded)

    def __len__(self) -> int:
        """How many nicks are watched by anyone (for tests and statistics)."""
        return len(self._watchers)
