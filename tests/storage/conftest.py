"""Fixtures shared by the storage tests: a fresh store of each backend.

The ``postgres`` backend needs a PostgreSQL server: one throwaway cluster is started for the
whole session (``support.postgres``) the first time a test asks for it, and removed at the
end; without the server binaries those tests skip, saying why.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from chatroom.storage import HistoryStore
from chatroom.storage.memory import MemoryHistoryStore
from chatroom.storage.postgres import PostgresHistoryStore
from chatroom.storage.sqlite import SQLiteHistoryStore
from support.postgres import Cluster, running_postgres

_schemas = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A running PostgreSQL server for the session (skips the test when there is none)."""
    with running_postgres() as cluster:
        yield cluster


@pytest.fixture
def postgres_dsn(postgres_cluster: Cluster) -> str:
    """The URL of an empty schema of its own in the session's cluster (via search_path)."""
    schema = f"test_{next(_schemas)}"
    postgres_cluster.execute(f"CREATE SCHEMA {schema}")
    return postgres_cluster.dsn(search_path=schema)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[HistoryStore]:
    """A fresh, empty store of each backend (the contract suite runs against all)."""
    backend: HistoryStore
    if request.param == "memory":
        backend = MemoryHistoryStore()
    elif request.param == "sqlite":
        backend = await SQLiteHistoryStore.open(tmp_path / "history.db")
    else:
        backend = await PostgresHistoryStore.open(request.getfixturevalue("postgres_dsn"))
    yield backend
    await backend.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLiteHistoryStore]:
    """A fresh SQLite store in tmp_path, closed after the test."""
    backend = await SQLiteHistoryStore.open(tmp_path / "history.db")
    yield backend
    await backend.close()
