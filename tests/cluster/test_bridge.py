"""The bridge's tasks: one that dies by a bug says so loudly."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from chatroom.cluster.bridge import _report_death


async def test_a_bridge_task_that_dies_is_logged_loudly(caplog: pytest.LogCaptureFixture) -> None:
    async def _write() -> None:
        raise RuntimeError("a bug")

    task = asyncio.get_running_loop().create_task(_write())
    task.add_done_callback(_report_death)
    with contextlib.suppress(RuntimeError):
        await task
    await asyncio.sleep(0)  # done callbacks run on the next loop turn
    [record] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert "_write died" in record.getMessage() and record.exc_info is not None
