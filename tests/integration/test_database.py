"""Two servers on one PostgreSQL database share history and accounts (--database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.accounts import PASSWORD, connect_with_sasl, register_account
from support.irc_client import IrcClient
from support.postgres import running_postgres
from support.server import ServerFactory

CAPS = "batch server-time message-tags draft/chathistory"


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with running_postgres() as cluster:
        yield cluster.dsn()


def test_history_and_accounts_are_shared(server_factory: ServerFactory, database_url: str) -> None:
    first = server_factory("--no-flood-control", "--database", database_url)
    second = server_factory("--no-flood-control", "--database", database_url)
    assert "kept in PostgreSQL" in first.log
    author = register_account(first, "pat")
    author.join("#shared")
    author.send("PRIVMSG #shared :written on the first server")
    author.send("PING sync")
    author.expect("PONG")
    # The account made on the first server logs in on the second.
    reader, result = connect_with_sasl(second, "pat_too", "pat", PASSWORD)
    assert result == "903"
    other = IrcClient(second.port).register("reader", CAPS)
    other.join("#shared")
    other.send("CHATHISTORY LATEST #shared * 10")
    other.expect("BATCH")
    texts = [line.params[1] for line in other.until("BATCH") if line.command == "PRIVMSG"]
    assert texts == ["written on the first server"]
    reader.close()
