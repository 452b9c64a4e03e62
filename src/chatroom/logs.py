"""The server's log: a human format (the default) or one JSON object per line for log
shippers, levels per area (``--log chatroom.cluster=debug``), and repeats collapsed.

JSON keys, stable: ``time`` (ISO 8601, UTC, milliseconds), ``level`` (``INFO``...),
``logger`` (``chatroom.server``...), ``message``; ``worker`` (its number) in a
``--workers`` process; ``exception`` (the traceback) when there is one.

The same message from the same place, again and again (a client reconnecting in a
loop, a failing disk), is written once; the next different one, or the first
repeat after :data:`REPEAT_WINDOW` seconds, is preceded by "the last message
repeated N times".
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from chatroom.errors import ConfigError

REPEAT_WINDOW = 60.0
"""Seconds a run of repeats is held back at most before it is counted in the log."""

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
LEVELS |= {"error": logging.ERROR, "critical": logging.CRITICAL}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def __init__(self, worker: int | None = None) -> None:
        super().__init__()
        self.worker = worker

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, object] = {
            "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.worker is not None:
            entry["worker"] = self.worker
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class CollapsingHandler(logging.StreamHandler[TextIO]):
    """A stream handler that writes a run of identical records once, then counts it."""

    def __init__(self, stream: TextIO, window: float = REPEAT_WINDOW) -> None:
        super().__init__(stream)
        self.window = window
        self._last: tuple[str, int, str] | None = None
        self._last_record: logging.LogRecord | None = None
        self._repeats = 0
        self._since = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        key = (record.name, record.levelno, record.getMessage())
        now = time.monotonic()
        if key == self._last and now - self._since < self.window:
            self._repeats += 1
            return
        self._flush_repeats()
        if key != self._last:
            self._last, self._last_record = key, record
        self._since = now
        super().emit(record)

    def _flush_repeats(self) -> None:
        if self._repeats and self._last_record is not None:
            last = self._last_record
            summary = logging.LogRecord(
                last.name,
                last.levelno,
                last.pathname,
                last.lineno,
                "the last message repeated %d times",
                (self._repeats,),
                None,
            )
            super().emit(summary)
        self._repeats = 0

    def close(self) -> None:
        self._flush_repeats()
        super().close()


def parse_levels(specs: Sequence[str]) -> dict[str, int]:
    """``--log`` values: ``AREA=LEVEL`` (``chatroom.cluster=debug``), or ``LEVEL`` for
    every area; a wrong one is a :class:`ConfigError` naming it."""
    levels: dict[str, int] = {}
    for spec in specs:
        area, _, name = spec.rpartition("=")
        level = LEVELS.get(name.strip().lower())
        if level is None or (area == "" and "=" in spec):
            raise ConfigError(
                f"--log {spec}", f"must be AREA=LEVEL or LEVEL, LEVEL one of {', '.join(LEVELS)}"
            )
        levels[area.strip()] = level
    return levels


def setup(
    level: int, *, json_format: bool, areas: dict[str, int], worker: int | None = None
) -> None:
    """Log to standard error at ``level`` (``areas`` override it per logger name)."""
    handler = CollapsingHandler(sys.stderr)
    if json_format:
        handler.setFormatter(JsonFormatter(worker))
    else:
        prefix = f"[worker {worker}] " if worker is not None else ""
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s {prefix}%(message)s", "%H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(areas.pop("", level))
    for area, area_level in areas.items():
        logging.getLogger(area).setLevel(area_level)
