"""Messages and the history store, in memory: nothing goes out that history does not keep."""

from __future__ import annotations

import asyncio

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.storage.base import OnStored, StoredMessage
from chatroom.storage.memory import MemoryHistoryStore
from support.fakes import FakeTransport, settle


class HeldStore(MemoryHistoryStore):
    """A store whose writes complete only when the test says how they went.

    ``writable`` is whatever the test sets, as a real store's health after a failed commit
    and after its probe succeeds.
    """

    def __init__(self) -> None:
        super().__init__()
        self.held: list[tuple[StoredMessage, OnStored | None]] = []
        self.healthy = True

    @property
    def writable(self) -> bool:
        return self.healthy

    def append(self, message: StoredMessage, on_stored: OnStored | None = None) -> None:
        self.held.append((message, on_stored))

    def complete(self, ok: bool, count: int | None = None) -> None:
        """Finish the first *count* held writes (all by default): stored (``ok``) or
        failed as on a full disk."""
        count = len(self.held) if count is None else count
        held, self.held = self.held[:count], self.held[count:]
        for message, on_stored in held:
            if ok:
                self._index.insert(message)
            if on_stored is not None:
                on_stored(ok)


class Client:
    def __init__(self, server: Server, nick: str, caps: str = "") -> None:
        self.transport = FakeTransport()
        session = server.connect(self.transport, "127.0.0.1", 1000 + len(server.sessions))
        assert session is not None
        self.session: Session = session
        if caps:
            self.send(f"CAP REQ :{caps}")
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        if caps:
            self.send("CAP END")

    def send(self, *lines: str) -> None:
        self.session.feed("".join(f"{line}\r\n" for line in lines).encode())

    def take(self) -> list[str]:
        """The lines written to this client since the last call."""
        text = self.transport.data.decode()
        self.transport.data = b""
        return text.splitlines()


async def two_in_a_room(store: HeldStore) -> tuple[Client, Client]:
    server = Server(
        Config(flood_enabled=False), asyncio.get_running_loop(), store, commands=COMMANDS
    )
    alice = Client(server, "alice", "echo-message message-tags standard-replies")
    bob = Client(server, "bob")
    alice.send("JOIN #room")
    bob.send("JOIN #room")
    await settle()
    store.complete(True)  # the JOINs, kept for event playback after they were relayed
    alice.take(), bob.take()
    return alice, bob


def privmsgs(lines: list[str]) -> list[str]:
    """The texts (one word each here) of the PRIVMSG lines."""
    return [
        line.rsplit(" ", 1)[1].lstrip(":")
        for line in lines
        if "@127.0.0.1 PRIVMSG " in line  # from a user, not the server's FAIL
    ]


FAIL = "FAIL PRIVMSG TEMPORARILY_UNAVAILABLE"


async def test_a_message_the_store_could_not_write_reaches_nobody() -> None:
    store = HeldStore()
    alice, bob = await two_in_a_room(store)
    alice.send("PRIVMSG #room :stored", "PRIVMSG #room,bob :lost")
    await settle()
    assert len(store.held) == 3 and privmsgs(bob.take()) == []  # nothing before the commit
    store.complete(True, 1)  # the first write commits ...
    store.healthy = False  # ... then the disk fills: the next two were accepted, and fail
    store.complete(False)
    await settle()
    seen = bob.take()
    assert privmsgs(seen) == ["stored"]
    replies = alice.take()
    assert privmsgs(replies) == ["stored"]  # the echo
    fails = [line for line in replies if FAIL in line]
    assert [line.split()[4] for line in fails] == ["#room", "bob"]
    assert [m.text for m in await store.latest("#room", 10)] == ["stored"]


async def test_while_not_writable_messages_are_refused_and_the_rest_works() -> None:
    store = HeldStore()
    alice, bob = await two_in_a_room(store)
    store.healthy = False
    alice.send(
        "PRIVMSG #room :no",
        "NOTICE bob :no",
        "@+typing=active TAGMSG #room",
        "PRIVMSG @#room :no",
        "PRIVMSG nobody :no",
        "TOPIC #room :still works",
    )
    await settle()
    replies = alice.take()
    assert store.held == []  # refused before the store: nothing queued
    assert [line.split()[1:5] for line in replies if line.startswith(":") and "FAIL" in line] == [
        ["FAIL", "PRIVMSG", "TEMPORARILY_UNAVAILABLE", "#room"],
        ["FAIL", "NOTICE", "TEMPORARILY_UNAVAILABLE", "bob"],
        ["FAIL", "TAGMSG", "TEMPORARILY_UNAVAILABLE", "#room"],
        ["FAIL", "PRIVMSG", "TEMPORARILY_UNAVAILABLE", "@#room"],
    ]
    assert any(" 401 alice nobody " in line for line in replies)  # the usual errors first
    assert any(" TOPIC #room :still works" in line for line in replies)
    relayed = [line for line in bob.take() if "alice!" in line and "TOPIC" not in line]
    assert relayed == []

    store.healthy = True  # the probe wrote: space is back
    alice.send("PRIVMSG #room :back")
    await settle()
    store.complete(True)
    await settle()
    assert privmsgs(bob.take()) == ["back"]
    assert [m.text for m in await store.latest("#room", 10)] == ["back"]
