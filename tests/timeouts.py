"""Timeouts for tests, scaled for slow machines: CHATROOM_TEST_SLOWDOWN=3 triples them."""

from __future__ import annotations

import os

SLOWDOWN = float(os.environ.get("CHATROOM_TEST_SLOWDOWN", "1"))
TIMEOUT = 10.0 * SLOWDOWN
"""Seconds to wait for something that should happen at once."""
