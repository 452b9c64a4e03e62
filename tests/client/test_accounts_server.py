"""Accounts in the client core against the real server: /register, SASL login
with SCRAM-SHA-256 and with PLAIN, a wrong password, and /login later."""

from __future__ import annotations

import pytest

from chatroom.client import accounts
from chatroom.client.events import AccountRegistered, LoggedIn, LoginFailed, RegisterFailed
from chatroom.client.model import MessageKind
from support.client import Running, until
from support.server import RunningServer

PASSWORD = "correct horse battery staple"


def notes(running: Running) -> list[str]:
    return [m.text for b in running.client.model.buffers for m in b.messages]


async def register_alice(server: RunningServer) -> None:
    alice = await Running(server.port, "alice").ready()
    alice.client.submit(f"/register {PASSWORD}")
    assert await alice.event(AccountRegistered) == AccountRegistered("alice")
    assert await alice.event(LoggedIn) == LoggedIn("alice")
    assert alice.client.account == "alice"
    assert not any(PASSWORD in item for item in alice.client.history.items)
    await alice.stop()


async def test_register_then_log_in_with_scram(server: RunningServer) -> None:
    await register_alice(server)
    alice = Running(server.port, "alice", account_password=PASSWORD)
    assert await alice.event(LoggedIn) == LoggedIn("alice")
    await alice.ready()
    assert alice.client.protocol.sasl is None and "sasl" in alice.client.caps
    assert accounts.mechanisms(alice.client.protocol)[0] == "SCRAM-SHA-256"
    assert not any("is registered" in text for text in notes(alice))
    assert not alice.of(LoginFailed)
    await alice.stop()


async def test_log_in_with_plain(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    await register_alice(server)
    monkeypatch.setattr(accounts, "PREFERENCE", ("PLAIN",))
    alice = Running(server.port, "alice", account_password=PASSWORD)
    assert await alice.event(LoggedIn) == LoggedIn("alice")
    await alice.ready()
    assert not any("without encryption" in text for text in notes(alice))  # loopback
    await alice.stop()


async def test_wrong_password_is_reported_and_the_chat_goes_on(server: RunningServer) -> None:
    await register_alice(server)
    alice = Running(server.port, "alice", account_password="not it")
    failed = await alice.event(LoginFailed)
    assert failed == LoginFailed("alice", "wrong account name or password")
    await alice.ready()
    assert alice.client.account is None and alice.client.protocol.account_password is None
    await until(lambda: any("is registered" in text for text in notes(alice)))
    warning = next(
        m for b in alice.client.model.buffers for m in b.messages if "is registered" in m.text
    )
    assert warning.kind is MessageKind.ERROR and "/login" in warning.text
    alice.client.submit(f"/login {PASSWORD}")
    assert await alice.event(LoggedIn) == LoggedIn("alice")
    assert alice.client.protocol.account_password == PASSWORD  # kept for reconnections
    await alice.stop()


async def test_register_refusal_is_clear(server: RunningServer) -> None:
    await register_alice(server)
    alice = await Running(server.port, "alice", account_password=PASSWORD).ready()
    alice.client.submit("/nick alicia")
    await until(lambda: alice.client.nick == "alicia")
    alice.client.submit("/register x")
    refused = await alice.event(RegisterFailed)
    assert refused.code == "ALREADY_AUTHENTICATED"
    assert any("Could not create the account" in text for text in notes(alice))
    await alice.stop()
