"""The shape of a benchmark result: figures with units, per scenario and server.

Scenarios produce :class:`ScenarioResult`; the report turns them into a table and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

Value = float | int | str | None


class Better(Enum):
    """Which way a figure improves; ratios and readers need to know."""

    HIGHER = "higher"
    LOWER = "lower"
    NONE = ""


@dataclass(frozen=True)
class Figure:
    """One measured value: ``key`` for JSON, ``label`` for the table, ``unit`` for both."""

    key: str
    label: str
    value: Value
    unit: str = ""
    better: Better = Better.NONE


@dataclass
class ScenarioResult:
    """The figures and notes of one scenario against one server; ``error`` if it failed."""

    number: int
    title: str
    server: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def value(self, key: str) -> Value:
        """The value of figure ``key``, or None when absent."""
        for figure in self.figures:
            if figure.key == key:
                return figure.value
        return None
