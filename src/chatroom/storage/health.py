"""Whether a history store can write right now, and what the operator is told about it.

A backend keeps one :class:`WriteHealth`. The first write that fails for want of storage
(disk full, I/O error, database down or refusing) makes it *not writable*; the next write
that commits, or the backend's own probe write (every :data:`PROBE_INTERVAL` seconds while
nothing else is written), makes it writable again. The server reads
:attr:`WriteHealth.writable` through ``HistoryStore.writable`` and refuses new messages
meanwhile: it relays a message only once it is stored, so refusing loses nothing anyone saw.

The operator gets one error line at most every :data:`LOG_INTERVAL` seconds while writes
fail, and one line when they work again (only after a logged failure, so a store flapping
at the edge of a full disk writes at most two lines a minute).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["LOG_INTERVAL", "PROBE_INTERVAL", "PROBE_NICK", "WriteHealth"]

logger = logging.getLogger("chatroom.storage")

#: Seconds between repeated operator messages while writes keep failing.
LOG_INTERVAL = 60.0
#: Seconds between probe writes while the store is not writable and has nothing to write.
PROBE_INTERVAL = 1.0
#: The ``dm_participants.nick`` of a probe row: no nick is empty, so no query ever sees it
#: (the probe deletes it in the same transaction anyway).
PROBE_NICK = ""


class WriteHealth:
    """One store's write health. Not thread-safe by itself: call ``failed`` and
    ``succeeded`` from one thread (the writer); ``writable`` may be read from any."""

    def __init__(
        self, *, log_interval: float = LOG_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.writable = True
        self._log_interval = log_interval
        self._clock = clock
        self._failed = 0  # messages not stored since the last "works again" line
        self._last_log: float | None = None
        self._recovery_to_log = False

    def failed(self, count: int, reason: object) -> None:
        """A write of *count* messages (0 for a probe) failed because of *reason*."""
        self.writable = False
        self._failed += count
        now = self._clock()
        if self._last_log is not None and now - self._last_log < self._log_interval:
            return
        self._last_log = now
        self._recovery_to_log = True
        logger.error(
            "history: cannot store messages; new messages are refused (senders get FAIL "
            "TEMPORARILY_UNAVAILABLE) until a write succeeds again (%d message(s) not stored "
            "so far): %s",
            self._failed,
            reason,
        )

    def succeeded(self) -> None:
        """A write (or a probe) committed."""
        self.writable = True
        if self._recovery_to_log:
            self._recovery_to_log = False
            logger.warning(
                "history: storing messages works again; messages are accepted again "
                "(%d message(s) were not stored)",
                self._failed,
            )
            self._failed = 0
