"""Fixtures of the command tests: the core in memory (see ``support.core``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from support.core import Harness


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    """A server with memory history and accounts, and an operator account."""
    made = Harness()
    yield made
    await made.close()
