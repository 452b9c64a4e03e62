"""Queries take one target each, as TARGMAX says; repeats collapse (issue 14, item 7)."""

from __future__ import annotations

import asyncio

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.server.targets import distinct
from support.fakes import FakeTransport


def test_distinct_drops_repeats_and_empty_targets() -> None:
    assert distinct(["#big", "#BIG", "", "#big", "#b"]) == ["#big", "#b"]


async def _reader() -> tuple[Server, FakeTransport]:
    server = Server(Config(flood_enabled=False), asyncio.get_running_loop(), commands=COMMANDS)
    transport = FakeTransport()
    session = server.connect(transport, "10.0.0.7", 1)
    assert session is not None
    session.feed(b"NICK alice\r\nUSER a 0 * :a\r\nJOIN #lobby,#b\r\n")
    server.flush()
    transport.data = b""
    return server, transport


async def _ask(line: bytes) -> bytes:
    server, transport = await _reader()
    session = server.find_user("alice")
    assert session is not None
    session.feed(line)
    for _ in range(5):
        await asyncio.sleep(0)
    return transport.data


async def test_targmax_is_advertised_for_the_queries() -> None:
    server = Server(Config(), asyncio.get_running_loop(), commands=COMMANDS)
    transport = FakeTransport()
    session = server.connect(transport, "10.0.0.7", 1)
    assert session is not None
    session.feed(b"NICK alice\r\nUSER a 0 * :a\r\n")
    server.flush()
    targmax = transport.data.split(b"TARGMAX=")[1].split()[0].split(b",")
    assert {b"LIST:1", b"NAMES:1", b"WHO:1", b"WHOIS:1"} <= set(targmax)
    assert b"PRIVMSG:4" in targmax


async def test_names_of_the_same_channel_many_times_is_answered_once() -> None:
    data = await _ask(b"NAMES " + b",".join([b"#lobby", b"#LOBBY"] * 30) + b"\r\n")
    assert data.count(b" 353 alice ") == 1 and data.count(b" 366 alice ") == 1


async def test_more_targets_than_targmax_get_407() -> None:
    for line in (b"NAMES #lobby,#b", b"LIST #lobby,#b", b"WHOIS alice,bob", b"WHO alice,bob"):
        data = await _ask(line + b"\r\n")
        assert b" 407 alice " in data, line
        assert b" 353 " not in data and b" 322 " not in data and b" 311 " not in data


async def test_one_target_and_elist_conditions_are_fine() -> None:
    data = await _ask(b"LIST #lobby >0,<5\r\n")
    assert b" 322 alice #lobby 1 " in data and b" 407 " not in data
    data = await _ask(b"WHOIS alice,ALICE\r\n")
    assert b" 311 alice alice " in data and b" 407 " not in data
