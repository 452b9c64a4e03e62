"""The core without sockets: a fake transport shows what the server writes."""

from __future__ import annotations

import asyncio

from chatroom.server.addresses import address_of, host_of, is_loopback
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from support.fakes import FakeTransport


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.1.2.3") and is_loopback("::1")
    assert is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.5") and not is_loopback("2001:db8::1")
    assert not is_loopback("unix-socket")


async def test_tls_required_for_remote_plain_connections() -> None:
    server = Server(
        Config(tls_enabled=True, tls_required_remote=True),
        asyncio.get_running_loop(),
        commands=COMMANDS,
    )
    remote = FakeTransport()
    assert server.connect(remote, "10.0.0.5", 40000) is None
    assert remote.closed and b"TLS is required" in remote.data
    local = FakeTransport()
    assert server.connect(local, "127.0.0.1", 40001) is not None
    secure_remote = FakeTransport()
    assert server.connect(secure_remote, "10.0.0.5", 40002, secure=True) is not None


async def test_registration_through_the_core() -> None:
    server = Server(Config(), asyncio.get_running_loop(), commands=COMMANDS)
    transport = FakeTransport()
    session = server.connect(transport, "10.0.0.7", 1234)
    assert session is not None
    session.feed(b"NICK remote\r\nUSER r 0 * :Remote\r\n")
    await asyncio.sleep(0)  # output is written once per loop turn
    assert b" 001 remote :Welcome to the chatroom Network, remote!~r@10.0.0.7" in transport.data
    assert server.find_user("REMOTE") is session


async def test_ipv6_host_never_starts_with_a_colon() -> None:
    server = Server(Config(), asyncio.get_running_loop(), commands=COMMANDS)
    session = server.connect(FakeTransport(), "::1", 1)
    assert session is not None and session.host == "0::1"


def test_an_ipv6_host_never_starts_with_a_colon_and_maps_back() -> None:
    assert host_of("::1") == "0::1" and address_of("0::1") == "::1"
    assert host_of("10.0.0.7") == "10.0.0.7" == address_of("10.0.0.7")
    assert host_of("2001:db8::1") == "2001:db8::1" == address_of("2001:db8::1")
