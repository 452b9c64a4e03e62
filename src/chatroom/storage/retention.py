"""The retention policy and the background task that applies it.

The server builds a :class:`RetentionPolicy` from its configuration and keeps one
:func:`run_retention` task running beside the store; cancelling the task stops it (do that
before ``store.close()`` during shutdown). The deleting itself is the store's
``apply_retention``, which never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from .base import HistoryStore
from .errors import StorageError

__all__ = ["RetentionPolicy", "check_retention_args", "run_retention"]

logger = logging.getLogger("chatroom.storage")


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long history is kept: by age, by count per conversation, or both.

    ``None`` disables a rule; with both disabled history is kept forever. *interval* is how
    often the rules are applied.
    """

    max_age: timedelta | None = None
    max_per_target: int | None = None
    interval: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.max_age is not None and self.max_age <= timedelta(0):
            raise ValueError(f"history max age must be positive: {self.max_age}")
        if self.max_per_target is not None and self.max_per_target < 1:
            raise ValueError(f"history max per room must be at least 1: {self.max_per_target}")
        if self.interval <= timedelta(0):
            raise ValueError(f"retention interval must be positive: {self.interval}")

    @property
    def enabled(self) -> bool:
        """Whether any rule deletes anything."""
        return self.max_age is not None or self.max_per_target is not None


async def run_retention(store: HistoryStore, policy: RetentionPolicy) -> None:
    """Apply *policy* to *store* now and then every ``policy.interval``, until cancelled.

    Returns at once if the policy is disabled. A failed run is logged and retried at the
    next interval; it never ends the task.
    """
    if not policy.enabled:
        return
    while True:
        try:
            await store.apply_retention(policy.max_age, policy.max_per_target)
        except StorageError as exc:
            logger.warning("history: retention failed, will retry: %s", exc)
        await asyncio.sleep(policy.interval.total_seconds())


def check_retention_args(max_age: timedelta | None, max_per_target: int | None) -> None:
    """Raise ``ValueError`` for a negative age or count (shared by the backends)."""
    if max_age is not None and max_age < timedelta(0):
        raise ValueError(f"max_age cannot be negative: {max_age}")
    if max_per_target is not None and max_per_target < 0:
        raise ValueError(f"max_per_target cannot be negative: {max_per_target}")
