"""The collector's settings of a running server, in a fresh interpreter each (they are
process-wide: the test process keeps its own)."""

from __future__ import annotations

import subprocess
import sys

_SETTLE = """
import gc, weakref
from chatroom.server.collector import YOUNG_THRESHOLD, settle

class Node:
    pass

def cycle():
    node = Node()
    node.self = node
    return weakref.ref(node)

gc.disable()  # so that only settle() can collect the start's garbage
before = cycle()
old = gc.get_threshold()
settle()
print(before() is None, gc.get_freeze_count() > 1000)
print(gc.get_threshold() == (YOUNG_THRESHOLD, *old[1:]))
gc.enable()
after = cycle()
gc.collect()
print(after() is None)
"""


def test_settle_collects_the_start_then_freezes_it_and_raises_the_young_threshold() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _SETTLE], capture_output=True, text=True, check=True
    )
    # The start's garbage is freed, not frozen; the rest is frozen; later cycles are
    # still collected.
    assert out.stdout.split() == ["True", "True", "True", "True"]
