"""A process alone has a network too: empty, silent, and never a reason to wait."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

from chatroom.protocol.line import Line
from chatroom.server.channel import Channel
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.mirror import snapshot
from chatroom.server.network import Network
from chatroom.server.network.events import Join, Quit
from chatroom.server.network.local import LocalNetwork
from chatroom.server.server import Server
from support.fakes import FakeTransport

CORE = Path(__file__).resolve().parents[3] / "src" / "chatroom" / "server"


async def test_a_server_always_has_a_network() -> None:
    server = Server(Config(name="solo.example"), asyncio.get_running_loop(), commands=COMMANDS)
    assert isinstance(server.network, LocalNetwork) and server.network.is_local
    assert server.network.view.users == {} and server.network.view.members == {}
    assert server.network.status() == [("solo.example (alone)", 0)]


async def test_every_claim_is_won_and_nothing_is_kept() -> None:
    network: Network = LocalNetwork("solo", {})
    assert await network.claim_nick("alice")
    state = snapshot(Channel("#a", "#a"))
    assert await network.create_channel("#a", "alice", state) is None
    network.publish(Quit("alice", ("#a",), Line("QUIT", ("bye",))))
    network.publish(Join("#a", "bo", "bo!u@h", "", "*", "Bo", Line("JOIN", ("#a",))))
    network.release_nick("alice")
    assert network.view.users == {} and network.view.members == {}


async def test_nick_and_join_are_answered_at_once() -> None:
    """Alone, registering, renaming and creating a channel never wait on the network:
    the state changes while the line is handled, and the session is not held."""
    server = Server(Config(default_room=""), asyncio.get_running_loop(), commands=COMMANDS)
    transport = FakeTransport()
    session = server.connect(transport, "10.0.0.7", 1234)
    assert session is not None
    session.feed(b"NICK alice\r\nUSER a 0 * :A\r\n")
    assert session.registered and session.blocked == 0
    session.feed(b"NICK alicia\r\nJOIN #new,#other\r\n")
    assert session.nick == "alicia" and session.blocked == 0
    channel = server.find_channel("#new")
    assert channel is not None and channel.is_op(session)
    assert server.find_channel("#other") is not None and not server.tasks
    await asyncio.sleep(0)
    assert b" 001 alice " in transport.data and b":alice!~a@10.0.0.7 NICK alicia" in transport.data


def test_the_core_never_asks_whether_it_has_a_network() -> None:
    """``server.network`` is never None: no module of the core compares it with None."""
    found = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Compare) or "network" not in ast.unparse(node.left):
                continue
            if any(isinstance(c, ast.Constant) and c.value is None for c in node.comparators):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []
