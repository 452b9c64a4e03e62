"""Timeouts for tests, scaled for slow machines: CHATROOM_TEST_SLOWDOWN=3 triples them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

SLOWDOWN = float(os.environ.get("CHATROOM_TEST_SLOWDOWN", "1"))
TIMEOUT = 10.0 * SLOWDOWN
"""Seconds to wait for something that should happen at once."""


def eventually(check: Callable[[], bool], what: Callable[[], object]) -> None:
    """Wait until ``check()`` (polling every 50 ms); after :data:`TIMEOUT`, fail the
    test showing ``what()``."""
    deadline = time.monotonic() + TIMEOUT
    while not check():
        assert time.monotonic() < deadline, what()
        time.sleep(0.05)
