"""The garbage collector's settings in a running server (issue 20, item 2).

:func:`settle` runs once, when the server listens:

- ``gc.freeze()`` after a collection: what the start allocated (modules, classes,
  functions, the command table, the configuration: tens of thousands of objects that
  live as long as the process) moves to the collector's permanent generation, so no
  later collection traverses it again. Nothing is freed or kept longer by it: those
  objects were never going to be garbage, and the collection before it frees what
  the start left behind.
- the first generation's threshold goes from CPython's 700 to :data:`YOUNG_THRESHOLD`:
  a busy channel allocates a few objects per message relayed (its ``Line``, tags,
  queue entries) that die at the end of the loop turn; with 700 a young collection
  ran every few messages and traversed every object still alive in that turn.

Reference cycles are still collected; only how often the youngest generation is looked
at changes. docs/performance.md has the measurements behind the figures.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations (minus deallocations) of container objects between young collections."""


def settle() -> None:
    """Collect what the start left, freeze the rest, raise the young threshold."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
