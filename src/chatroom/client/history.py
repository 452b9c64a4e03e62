"""Input history: lines the user typed, recalled with Up and Down.

Shared by every UI so they behave alike: consecutive duplicates and empty lines
are not stored, and a line being typed is kept while browsing and given back when
the user comes back down past the newest entry.
"""

from __future__ import annotations

from collections import deque

MAX_HISTORY = 500


class InputHistory:
    """A bounded list of past inputs with a browsing cursor."""

    def __init__(self, limit: int = MAX_HISTORY) -> None:
        self._items: deque[str] = deque(maxlen=limit)
        self._index: int | None = None  # None: not browsing
        self._draft = ""

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> tuple[str, ...]:
        """Stored inputs, oldest first."""
        return tuple(self._items)

    def add(self, text: str) -> None:
        """Store a submitted line and stop browsing."""
        self._index = None
        self._draft = ""
        if text.strip() and (not self._items or self._items[-1] != text):
            self._items.append(text)

    def previous(self, current: str) -> str | None:
        """The entry before the one shown (Up); ``current`` is what the input
        holds now. ``None`` when there is nothing older."""
        if not self._items:
            return None
        if self._index is None:
            self._draft = current
            self._index = len(self._items) - 1
        elif self._index > 0:
            self._index -= 1
        else:
            return None
        return self._items[self._index]

    def next(self) -> str | None:
        """The entry after the one shown (Down); past the newest, the line that was
        being typed. ``None`` when not browsing."""
        if self._index is None:
            return None
        if self._index < len(self._items) - 1:
            self._index += 1
            return self._items[self._index]
        self._index = None
        return self._draft
