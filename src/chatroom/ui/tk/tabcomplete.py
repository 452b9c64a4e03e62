"""Tab completion in the input box: which word to replace, and cycling through
the candidates when Tab is pressed again. Plain Python; the candidates come
from the core's :func:`~chatroom.client.completion.complete_word`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Candidates = Callable[[str, bool], list[str]]
"""``candidates(word, first)``: completions of ``word``; ``first`` says whether it
is the first word of the line."""


@dataclass(frozen=True, slots=True)
class _Cycle:
    start: int  # where the completed word begins
    candidates: tuple[str, ...]
    index: int
    result: tuple[str, int]  # the text and cursor we produced


class TabCompleter:
    """Completes the word before the cursor; Tab again offers the next candidate.

    A nick that starts the line gets ": " after it (the usual way to address
    someone), anything else a space. Any edit between two Tabs starts afresh,
    because the text then differs from what the last Tab produced.
    """

    def __init__(self, candidates: Candidates) -> None:
        self._candidates = candidates
        self._cycle: _Cycle | None = None

    def complete(self, text: str, cursor: int) -> tuple[str, int] | None:
        """The new text and cursor after one Tab, or ``None`` if nothing completes.

        ``cursor`` is an index into ``text`` (a single line of the input).
        """
        cycle = self._cycle
        if cycle is not None and cycle.result == (text, cursor) and len(cycle.candidates) > 1:
            index = (cycle.index + 1) % len(cycle.candidates)
            # The text after the completed word is what it was before the first Tab.
            previous = _with_suffix(cycle.candidates[cycle.index], cycle.start == 0)
            after = text[cycle.start + len(previous) :]
            return self._apply(text[: cycle.start], after, cycle, index)
        before = text[:cursor]
        start = max(before.rfind(" "), before.rfind("\t")) + 1
        word = before[start:]
        if not word:
            self._cycle = None
            return None
        found = self._candidates(word, start == 0 and not before[:start].strip())
        if not found:
            self._cycle = None
            return None
        cycle = _Cycle(start, tuple(found), 0, ("", 0))
        return self._apply(text[:start], text[cursor:], cycle, 0)

    def _apply(self, head: str, tail: str, cycle: _Cycle, index: int) -> tuple[str, int]:
        inserted = _with_suffix(cycle.candidates[index], cycle.start == 0)
        # Do not double a space that is already there after the cursor.
        if tail.startswith(" ") and inserted.endswith(" "):
            tail = tail[1:]
        text = head + inserted + tail
        cursor = len(head) + len(inserted)
        self._cycle = _Cycle(cycle.start, cycle.candidates, index, (text, cursor))
        return text, cursor

    def reset(self) -> None:
        """Forget the cycle (the user sent the line or typed something)."""
        self._cycle = None


def _with_suffix(candidate: str, first: bool) -> str:
    if first and not candidate.startswith(("/", "#")):
        return candidate + ": "
    return candidate + " "
