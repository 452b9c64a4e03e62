"""A user's state changes reach its local peers (by capability) and the network,
never after the user quit; on a real core without sockets."""

from __future__ import annotations

import asyncio

from chatroom.protocol.line import Line
from chatroom.server import presence
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config, Operator
from chatroom.server.network.events import Quit, UserState, UserUp
from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.storage.passwords import hash_password
from support.fakes import FakeNetwork, FakeTransport, settle


async def _core(*nicks: str, config: Config | None = None) -> tuple[Server, FakeNetwork]:
    server = Server(
        config or Config(default_room=""), asyncio.get_running_loop(), commands=COMMANDS
    )
    for i, nick in enumerate(nicks):
        session = server.connect(FakeTransport(), "10.0.0.7", 1000 + i)
        assert session is not None
        session.feed(f"NICK {nick}\r\nUSER {nick} 0 * :{nick} real\r\n".encode())
    network = FakeNetwork()
    server.network = network  # type: ignore[assignment]
    return server, network


def _user(server: Server, nick: str) -> Session:
    session = server.find_user(nick)
    assert session is not None
    return session


def _received(session: Session) -> bytes:
    session.server.flush()
    transport = session.transport
    assert isinstance(transport, FakeTransport)
    return transport.data


async def test_a_change_goes_to_peers_with_the_capability_and_to_the_network() -> None:
    server, network = await _core("alice", "bob", "carol")
    alice, bob, carol = (_user(server, n) for n in ("alice", "bob", "carol"))
    bob.set_caps({"away-notify"})
    for session in (alice, bob, carol):
        session.feed(b"JOIN #room\r\n")
        await settle()
    alice.feed(b"AWAY :lunch\r\n")
    assert b"alice!~alice@10.0.0.7 AWAY lunch\r\n" in _received(bob)
    assert b"alice!~alice@10.0.0.7 AWAY" not in _received(carol)
    state = network.published[-1]
    assert isinstance(state, UserState)
    assert (state.nick, state.realname, state.account, state.away, state.modes) == (
        "alice",
        "alice real",
        None,
        "lunch",
        "",
    )
    assert state.line is not None and state.line.command == "AWAY"


async def test_a_mode_change_tells_the_network_only() -> None:
    server, network = await _core("alice")
    alice = _user(server, "alice")
    alice.feed(b"MODE alice +i\r\n")
    state = network.published[-1]
    assert isinstance(state, UserState) and state.modes == "i" and state.line is None


async def test_nothing_is_told_of_a_closed_session() -> None:
    server, network = await _core("alice")
    alice = _user(server, "alice")
    server.disconnect(alice, "bye")
    published = len(network.published)
    presence.changed(server, alice, Line("ACCOUNT", ("alice",), alice.source))
    assert len(network.published) == published


async def test_an_oper_check_ending_after_the_quit_changes_nothing() -> None:
    """The password check is awaited: the user may quit meanwhile. Its late +o must
    neither count in LUSERS nor reach the network after its Quit (where it would land
    on whoever took the nick)."""
    config = Config(default_room="", operators=(Operator("op", hash_password("pw")),))
    server, network = await _core("alice", config=config)
    alice = _user(server, "alice")
    alice.feed(b"OPER op pw\r\n")
    server.disconnect(alice, "bye")
    await asyncio.gather(*server.tasks)
    assert server.registry.mode_count("o") == 0
    assert isinstance(network.published[-1], Quit)
    assert not [e for e in network.published if isinstance(e, UserState)]


async def test_user_up_carries_the_whole_state() -> None:
    server, _network = await _core("alice")
    alice = _user(server, "alice")
    alice.feed(b"MODE alice +i\r\nAWAY :out\r\n")
    assert presence.user_up(alice) == UserUp(
        "alice", alice.source, "alice real", None, "out", "i", alice.signon, False
    )
