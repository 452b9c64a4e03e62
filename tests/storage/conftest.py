"""Fixtures shared by the storage tests: a fresh store of each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatroom.storage import HistoryStore, MemoryHistoryStore, SQLiteHistoryStore


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[HistoryStore]:
    """A fresh, empty store of each backend (the contract suite runs against both)."""
    backend: HistoryStore
    if request.param == "memory":
        backend = MemoryHistoryStore()
    else:
        backend = await SQLiteHistoryStore.open(tmp_path / "history.db")
    yield backend
    await backend.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLiteHistoryStore]:
    """A fresh SQLite store in tmp_path, closed after the test."""
    backend = await SQLiteHistoryStore.open(tmp_path / "history.db")
    yield backend
    await backend.close()
