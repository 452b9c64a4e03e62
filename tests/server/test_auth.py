"""Login rules in the core, with a fake transport and the memory account store."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest

from chatroom.server.commands import operators
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.logins import Auth
from chatroom.server.server import Server
from chatroom.storage import passwords
from chatroom.storage.accounts import Account
from chatroom.storage.accounts_memory import MemoryAccountStore
from chatroom.storage.passwords import Passwords
from support.account_stores import CHEAP, CountingHasher
from support.core import FakeClient, until
from support.fakes import FakeTransport


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
    server = Server(
        Config(plain_needs_tls=True), asyncio.get_running_loop(), None, store, commands=COMMANDS
    )
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


class CountingStore(MemoryAccountStore):
    """Counts the password checks that actually ran."""

    def __init__(self) -> None:
        super().__init__(passwords=CHEAP)
        self.checks = 0

    async def verify_password(self, name: str, password: str) -> Account | None:
        self.checks += 1
        await asyncio.sleep(0.05)  # a real check takes a while: the others start meanwhile
        return await super().verify_password(name, password)


async def _guess(server: Server, address: str, account: str, password: str) -> str:
    client = FakeClient(server, address)
    replies = await client.log_in(account, password)
    return next(line.command for line in replies if line.command in ("903", "904"))


async def test_parallel_guesses_from_one_address_run_as_few_checks_as_serial_ones() -> None:
    store = CountingStore()
    await store.register("alice", "a long password")
    server = Server(Config(), asyncio.get_running_loop(), None, store, commands=COMMANDS)
    answers = await asyncio.gather(
        *(_guess(server, "10.0.0.66", f"user{i}", "guess") for i in range(20))
    )
    assert answers == ["904"] * 20
    threshold = server.auth.by_address.threshold
    assert store.checks == threshold  # not 20: the rest are refused before hashing
    await store.close()


async def test_parallel_guesses_at_one_account_run_as_few_checks_as_serial_ones() -> None:
    store = CountingStore()
    await store.register("alice", "a long password")
    server = Server(Config(), asyncio.get_running_loop(), None, store, commands=COMMANDS)
    answers = await asyncio.gather(
        *(_guess(server, f"10.0.1.{i}", "alice", "guess") for i in range(20))
    )
    assert answers == ["904"] * 20
    assert store.checks == server.auth.by_account.threshold
    # Refusals were counted as failures but success forgives: the owner gets in
    # once the delay has passed (from a fresh address, with the right password).
    server.auth.by_account.succeeded("alice")
    assert await _guess(server, "10.0.2.1", "alice", "a long password") == "903"
    assert server.auth.wait_time("10.0.2.1", "alice", server.now()) == 0
    await store.close()


async def test_parallel_oper_guesses_run_as_few_checks_as_serial_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks: list[str] = []

    def counting_verify(stored: str | None, password: str) -> bool:
        checks.append(password)
        time.sleep(0.02)
        return False

    monkeypatch.setattr(operators, "verify_password", counting_verify)
    server = Server(Config(), asyncio.get_running_loop(), commands=COMMANDS)
    clients = [await FakeClient(server, "10.0.0.77").register(f"op{i}") for i in range(10)]
    for client in clients:
        client.send("OPER root guess")
    await until(lambda: all(b" 464 " in c.transport.data for c in clients))
    assert len(checks) == server.auth.by_address.threshold


async def test_oper_checks_queue_with_logins_in_the_one_bounded_hasher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # OPER used to hash on the default thread pool, beside the account store's own:
    # two bounds, so more hashes (each with its memory) at once than configured.
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "_shared", Passwords(hasher, concurrency=2))
    server = Server(Config(), asyncio.get_running_loop(), commands=COMMANDS)
    clients = [await FakeClient(server, f"10.0.3.{i}").register(f"op{i}") for i in range(12)]
    for i, client in enumerate(clients):
        client.send(f"OPER root{i} guess")
    await until(lambda: all(b" 464 " in c.transport.data for c in clients))
    assert len(hasher.started) == 12
    assert hasher.most == 2
