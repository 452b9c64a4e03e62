"""A registered nick's grace period belongs to the nick, and its owner takes it back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from chatroom.protocol.line import Line
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.storage.accounts_memory import MemoryAccountStore
from support.account_stores import CHEAP
from support.core import FakeClient, until

PASSWORD = "correct horse battery"


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    accounts = MemoryAccountStore(passwords=CHEAP)
    await accounts.register("bob", PASSWORD)
    yield Server(
        Config(nick_grace=30.0), asyncio.get_running_loop(), None, accounts, commands=COMMANDS
    )
    await accounts.close()


def notices(lines: list[Line]) -> list[str]:
    return [line.params[-1] for line in lines if line.command in ("NOTICE", "NOTE")]


async def test_reconnecting_does_not_restart_the_grace_period(server: Server) -> None:
    clock = [1000.0]
    server.now = lambda: clock[0]  # type: ignore[method-assign]
    first = await FakeClient(server).register("bob")
    await first.ask("PING x")
    assert b"within 30 seconds" in first.transport.data
    clock[0] += 25
    first.send("QUIT")
    again = await FakeClient(server).register("bob")
    await again.ask("PING x")
    assert b"within 5 seconds" in again.transport.data
    again.send("QUIT")
    clock[0] += 10
    last = FakeClient(server)
    await last.register("bob")
    await until(lambda: last.session.nick != "bob")
    assert last.session.nick.startswith("Guest")


async def test_switching_nicks_does_not_restart_it_either(server: Server) -> None:
    clock = [1000.0]
    server.now = lambda: clock[0]  # type: ignore[method-assign]
    impostor = await FakeClient(server).register("bob")
    clock[0] += 20
    await impostor.ask("NICK other")
    other = await FakeClient(server).register("carol")
    await other.ask("NICK bob")
    await other.ask("PING x")
    assert b"within 10 seconds" in other.transport.data


async def test_owner_logging_in_while_registering_takes_the_nick_back(server: Server) -> None:
    impostor = await FakeClient(server).register("bob")
    owner = FakeClient(server)
    owner.send("CAP LS 302", "CAP REQ :sasl", "NICK bob", "USER bob 0 * :Bob")
    assert any(line.command == "433" for line in await owner.ask("PING x"))
    assert "903" in [line.command for line in await owner.log_in("bob", PASSWORD)]
    welcome = await owner.ask("CAP END")
    assert [line.params[0] for line in welcome if line.command == "001"] == ["bob"]
    assert owner.session.registered and owner.session.nick == "bob"
    assert server.find_user("bob") is owner.session
    renamed = [line for line in impostor.lines() if line.command == "NICK"]
    assert renamed and renamed[0].params[0].startswith("Guest")
    assert impostor.session.nick.startswith("Guest")


async def test_owner_logging_in_later_takes_the_nick_back(server: Server) -> None:
    impostor = await FakeClient(server).register("bob")
    owner = await FakeClient(server).register("bob_")
    assert "903" in [line.command for line in await owner.log_in("bob", PASSWORD)]
    await owner.ask("PING x")
    assert owner.session.nick == "bob" and server.find_user("bob") is owner.session
    assert impostor.session.nick.startswith("Guest")
    assert any("owner" in text for text in notices(impostor.lines()))


async def test_owner_logged_in_takes_the_nick_back_with_nick(server: Server) -> None:
    owner = FakeClient(server)
    await owner.log_in("bob", PASSWORD)
    await owner.register("robert")
    impostor = await FakeClient(server).register("bob")
    await owner.ask("NICK bob")
    assert owner.session.nick == "bob" and impostor.session.nick.startswith("Guest")


async def test_two_clients_of_one_account_do_not_take_it_from_each_other(
    server: Server,
) -> None:
    first = FakeClient(server)
    await first.log_in("bob", PASSWORD)
    await first.register("bob")
    second = FakeClient(server)
    await second.log_in("bob", PASSWORD)
    await second.register("bob2")
    assert first.session.nick == "bob" and second.session.nick == "bob2"
    assert any(line.command == "433" for line in await second.ask("NICK bob"))
