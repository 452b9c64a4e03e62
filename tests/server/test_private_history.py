"""Who reads a private conversation: only the sessions that sent or received it
(or the account of the nick), never whoever takes the nick later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import datetime

import pytest

from chatroom.server import auth
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.storage.accounts_memory import MemoryAccountStore
from chatroom.storage.base import TargetActivity
from chatroom.storage.memory import MemoryHistoryStore
from support.account_stores import CHEAP
from support.core import FakeClient, until

PASSWORD = "correct horse battery"


async def tick() -> None:
    """Let the clock move past the millisecond: history keeps time to the ms, and a
    message in the very millisecond a nick changed hands is shown to neither holder."""
    await asyncio.sleep(0.003)


@pytest.fixture
async def server(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    grace = getattr(request, "param", 30.0)
    accounts = MemoryAccountStore(passwords=CHEAP)
    history = MemoryHistoryStore()
    yield Server(
        Config(nick_grace=grace), asyncio.get_running_loop(), history, accounts, commands=COMMANDS
    )
    await accounts.close()


async def chat(alice: FakeClient, bob: FakeClient) -> None:
    """alice and bob say one line to each other."""
    await tick()
    alice.send(f"PRIVMSG {bob.session.nick} :hello bob")
    bob.send(f"PRIVMSG {alice.session.nick} :hello alice")
    await alice.ask("PING sync")
    await bob.ask("PING sync")


async def test_the_two_parties_read_their_conversation(server: Server) -> None:
    alice = await FakeClient(server).register("alice")
    bob = await FakeClient(server).register("bob")
    await chat(alice, bob)
    assert await alice.history("LATEST", "bob", "*", "100") == ["hello bob", "hello alice"]
    assert await bob.history("LATEST", "alice", "*", "100") == ["hello bob", "hello alice"]
    assert await bob.targets() == ["alice"]


async def test_first_nick_after_waiting_reveals_nothing(server: Server) -> None:
    waiter = FakeClient(server)  # connected before the conversation, registers after
    alice = await FakeClient(server).register("alice")
    bob = await FakeClient(server).register("bob")
    await chat(alice, bob)
    bob.send("QUIT")
    await tick()
    await waiter.register("bob")
    assert await waiter.history("LATEST", "alice", "*", "100") == []
    assert await waiter.targets() == []


async def test_nick_sent_before_the_owner_registered_reveals_nothing(server: Server) -> None:
    """NICK before registering does not hold the nick: the window opens on registering."""
    waiter = FakeClient(server)
    waiter.send("CAP LS 302", "CAP REQ :batch server-time", "NICK bob")
    alice = await FakeClient(server).register("alice")
    bob = await FakeClient(server).register("bob")
    await chat(alice, bob)
    bob.send("QUIT")
    await tick()
    waiter.send("USER w 0 * :w", "CAP END")
    await waiter.ask("PING sync")
    assert waiter.session.registered and waiter.session.nick == "bob"
    assert await waiter.history("LATEST", "alice", "*", "100") == []
    assert await waiter.targets() == []


async def test_nick_change_reveals_nothing_and_keeps_ones_own(server: Server) -> None:
    mallory = await FakeClient(server).register("mallory")
    alice = await FakeClient(server).register("alice")
    bob = await FakeClient(server).register("bob")
    await chat(alice, bob)
    await bob.ask("NICK robert")
    await tick()
    await mallory.ask("NICK bob")
    assert mallory.session.nick == "bob"
    assert await mallory.history("LATEST", "alice", "*", "100") == []
    assert await mallory.targets() == []
    # The one who held it reads it again once back under that nick, and only its own.
    await mallory.ask("NICK mallory")
    await tick()
    await bob.ask("NICK bob")
    await tick()
    alice.send("PRIVMSG bob :welcome back")
    await alice.ask("PING sync")
    assert await bob.history("LATEST", "alice", "*", "100") == [
        "hello bob",
        "hello alice",
        "welcome back",
    ]
    assert await bob.targets() == ["alice"]


async def test_grace_period_of_a_registered_nick_reveals_nothing(server: Server) -> None:
    alice = await FakeClient(server).register("alice")
    bob = await FakeClient(server).register("bob", "REGISTER * * :" + PASSWORD)
    await bob.ask("PING sync")
    assert bob.session.account == "bob"
    await chat(alice, bob)
    bob.send("QUIT")
    await tick()
    impostor = await FakeClient(server).register("bob")
    assert impostor.session.account is None
    assert await impostor.history("LATEST", "alice", "*", "100") == []
    assert await impostor.targets() == []
    impostor.send("QUIT")
    # The owner, logged in on a new connection, reads the account's conversation.
    owner = FakeClient(server)
    await owner.log_in("bob", PASSWORD)
    await owner.register("bob")
    assert await owner.history("LATEST", "alice", "*", "100") == ["hello bob", "hello alice"]
    assert await owner.targets() == ["alice"]


@pytest.mark.parametrize("server", [0.05], indirect=True)
async def test_forced_rename_to_guest_reveals_nothing(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "guest_nick", lambda server: "Guest00001")
    await server.accounts.register("bob", PASSWORD)  # type: ignore[union-attr]
    alice = await FakeClient(server).register("alice")
    guest = await FakeClient(server).register("Guest00001")
    await chat(alice, guest)
    guest.send("QUIT")
    await tick()
    impostor = await FakeClient(server).register("bob")
    await asyncio.sleep(0.2)
    await impostor.ask("PING sync")
    assert impostor.session.nick == "Guest00001"
    assert await impostor.history("LATEST", "alice", "*", "100") == []
    assert await impostor.targets() == []


class SlowTargets(MemoryHistoryStore):
    """Holds TARGETS' query of private conversations until ``go`` is set, so the
    asker's PART and NICK are handled between its two queries."""

    def __init__(self) -> None:
        super().__init__()
        self.go = asyncio.Event()
        self.waiting = 0

    async def targets(
        self,
        start: datetime,
        end: datetime,
        limit: int,
        *,
        channels: Iterable[str] = (),
        nick: str | None = None,
    ) -> list[TargetActivity]:
        if nick is not None:
            self.waiting += 1
            await self.go.wait()
        return await super().targets(start, end, limit, channels=channels, nick=nick)


async def test_targets_racing_part_and_nick_answers() -> None:
    store = SlowTargets()
    server = Server(Config(), asyncio.get_running_loop(), store, commands=COMMANDS)
    alice = await FakeClient(server).register("alice")
    bob = await FakeClient(server).register("bob")
    await alice.ask("JOIN #c")
    await chat(alice, bob)
    alice.send("PRIVMSG #c :in c")
    await alice.ask("PING sync")
    alice.send(
        "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z "
        "timestamp=2100-01-01T00:00:00.000Z 100"
    )
    await until(lambda: store.waiting > 0)
    await alice.ask("PART #c")
    await alice.ask("NICK alicia")
    store.go.set()
    replies = await alice.ask("PING sync")
    assert not [line for line in replies if line.command == "FAIL"], replies
    listed = [line.params[1] for line in replies if line.command == "CHATHISTORY"]
    assert sorted(listed) == ["#c", "bob"]
