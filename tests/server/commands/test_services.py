"""ChanServ on a real core without sockets: registering and unregistering a room."""

from __future__ import annotations

import asyncio

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.storage.accounts_memory import MemoryAccountStore
from fakes import FakeTransport, settle


def _connect(server: Server, nick: str, port: int) -> tuple[Session, FakeTransport]:
    transport = FakeTransport()
    session = server.connect(transport, "10.0.0.7", port)
    assert session is not None
    session.feed(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
    return session, transport


async def test_only_the_founder_unregisters_a_room() -> None:
    store = MemoryAccountStore()
    server = Server(
        Config(default_room=""), asyncio.get_running_loop(), None, store, commands=COMMANDS
    )
    founder, founder_out = _connect(server, "alice", 1)
    stranger, stranger_out = _connect(server, "bob", 2)
    founder.account = (await store.register("alice", "correct horse", None)).name
    founder.feed(b"JOIN #room\r\nCS REGISTER #room\r\n")
    await settle()
    server.flush()
    assert b"#room is registered to you." in founder_out.data, founder_out.data
    stranger.feed(b"JOIN #room\r\nCHANSERV UNREGISTER #room\r\n")
    await settle()
    server.flush()
    assert b"Only the founder of #room may unregister it." in stranger_out.data
    assert await store.get_channel("#room") is not None
    founder.feed(b"CS UNREGISTER #room\r\n")
    await settle()
    server.flush()
    assert b"#room is no longer registered." in founder_out.data
    assert await store.get_channel("#room") is None
    channel = server.find_channel("#room")
    assert channel is not None and channel.founder is None and not channel.permanent
    await store.close()
