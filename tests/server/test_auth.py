"""Login rules in the core, with a fake transport and the memory account store."""

from __future__ import annotations

import asyncio
import base64

from chatroom.server.auth import Auth
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.storage.accounts_memory import MemoryAccountStore
from fakes import FakeTransport


def test_auth_throttles_by_address_and_by_account() -> None:
    auth = Auth()
    for _ in range(3):
        auth.failed("10.0.0.1", "Alice", 0.0)
    assert auth.wait_time("10.0.0.1", "bob", 0.0) > 0  # the address is slowed
    assert auth.wait_time("10.0.0.2", "ALICE", 0.0) > 0  # and so is the account
    assert auth.wait_time("10.0.0.2", "bob", 0.0) == 0
    auth.succeeded("10.0.0.1", "alice")
    assert auth.wait_time("10.0.0.1", "alice", 0.0) == 0


async def test_plain_over_plain_text_from_afar_is_refused_when_configured() -> None:
    store = MemoryAccountStore()
    await store.register("alice", "a long password")
    server = Server(Config(plain_needs_tls=True), asyncio.get_running_loop(), None, store)
    transport = FakeTransport()
    session = server.connect(transport, "10.0.0.9", 5000)
    assert session is not None
    session.feed(b"AUTHENTICATE PLAIN\r\n")
    await asyncio.sleep(0)
    assert b"FAIL AUTHENTICATE TLS_REQUIRED" in transport.data
    assert b" 904 " in transport.data
    # From this machine it is allowed (the password never leaves it).
    local = FakeTransport()
    near = server.connect(local, "127.0.0.1", 5001)
    assert near is not None
    payload = base64.b64encode(b"\0alice\0a long password").decode()
    near.feed(f"AUTHENTICATE PLAIN\r\nAUTHENTICATE {payload}\r\n".encode())
    for _ in range(200):
        await asyncio.sleep(0.01)
        if b" 903 " in local.data:
            break
    assert b" 900 * *!*@127.0.0.1 alice :You are now logged in as alice" in local.data
    await store.close()
