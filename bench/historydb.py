"""Watch our server's SQLite history grow, from another thread, to measure stored msgs/s.

The server writes ``history.db`` in WAL mode, so a read-only reader in the bench sees each
committed group of messages without blocking the writer. :class:`HistoryWatcher` counts the
``messages`` rows every :data:`POLL_S` and remembers when the count last grew; the scenario
reads the final count and that time once the load is over.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

POLL_S = 0.02


def count_messages(db: Path) -> int | None:
    """Rows in the ``messages`` table of ``db``, or None if it cannot be read (yet)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0) as conn:
            row = conn.execute("SELECT count(*) FROM messages").fetchone()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


class HistoryWatcher:
    """A thread that polls the row count of ``db`` until stopped (or for ``max_s`` at most)."""

    def __init__(self, db: Path, max_s: float) -> None:
        self.db = db
        self.max_s = max_s
        self.count = 0
        self.grew_at_ns = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="history-watch", daemon=True)

    def start(self) -> HistoryWatcher:
        """Start polling; returns self."""
        self._thread.start()
        return self

    def _poll(self) -> None:
        deadline = time.monotonic() + self.max_s
        while not self._stop.is_set() and time.monotonic() < deadline:
            found = count_messages(self.db)
            if found is not None and found > self.count:
                self.count = found
                self.grew_at_ns = time.monotonic_ns()
            self._stop.wait(POLL_S)

    def wait_for(self, target: int, quiet_s: float) -> None:
        """Block until ``count >= target`` or it has not grown for ``quiet_s``; then stop."""
        began = time.monotonic_ns()
        while self._thread.is_alive() and self.count < target:
            if time.monotonic_ns() - (self.grew_at_ns or began) > quiet_s * 1e9:
                break
            time.sleep(POLL_S)
        self.stop()

    def stop(self) -> None:
        """Stop polling and wait for the thread. Idempotent."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5.0)
