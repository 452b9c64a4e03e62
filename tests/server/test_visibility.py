"""One rule for who sees whom, for users of this process and of others; on a real
core without sockets."""

from __future__ import annotations

import asyncio

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.network.events import UserUp
from chatroom.server.network.view import RemoteUser, RemoteView
from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.server.visibility import channel_members, sees_user, shows_channel
from support.fakes import FakeNetwork, FakeTransport, settle


async def _core(*nicks: str) -> tuple[Server, RemoteView, dict[str, Session]]:
    server = Server(Config(default_room=""), asyncio.get_running_loop(), commands=COMMANDS)
    sessions = {}
    for i, nick in enumerate(nicks):
        session = server.connect(FakeTransport(), "10.0.0.7", 1000 + i)
        assert session is not None
        session.feed(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
        sessions[nick] = session
    network = FakeNetwork()
    server.network = network  # type: ignore[assignment]
    return server, network.view, sessions


def _remote(view: RemoteView, nick: str, modes: str, *channels: str) -> RemoteUser:
    user = RemoteUser.from_up(UserUp(nick, f"{nick}!u@h", modes=modes), "p2")
    view.add_user(nick, user)
    for channel in channels:
        view.join(channel, nick, "v")
    return user


async def test_members_of_every_process_with_their_prefix() -> None:
    server, view, users = await _core("alice", "ivan", "olga")
    users["alice"].feed(b"JOIN #room\r\n")
    await settle()
    users["ivan"].feed(b"MODE ivan +i\r\nJOIN #room\r\n")
    await settle()
    _remote(view, "bob", "", "#room")
    _remote(view, "iris", "i", "#room")
    channel = server.find_channel("#room")
    assert channel is not None
    inside = {(p, m.nick) for p, m in channel_members(server, users["alice"], channel, False)}
    assert inside == {("@", "alice"), ("", "ivan"), ("+", "bob"), ("+", "iris")}
    # Not a member: the invisible ones of either process are left out.
    outside = {m.nick for _p, m in channel_members(server, users["olga"], channel, False)}
    assert outside == {"alice", "bob"}


async def test_a_secret_channel_shows_to_its_members_only() -> None:
    server, _view, users = await _core("alice", "olga")
    users["alice"].feed(b"JOIN #sec\r\nMODE #sec +s\r\n")
    await settle()
    channel = server.find_channel("#sec")
    assert channel is not None
    assert shows_channel(users["alice"], channel)
    assert not shows_channel(users["olga"], channel)
    users["alice"].feed(b"MODE #sec -s\r\n")
    assert shows_channel(users["olga"], channel)
    assert not shows_channel(users["olga"], channel, invisible=True)  # WHOIS of a +i user


async def test_an_invisible_user_shows_to_those_sharing_a_channel() -> None:
    server, view, users = await _core("alice", "olga")
    users["alice"].feed(b"JOIN #room\r\n")
    await settle()
    iris = _remote(view, "iris", "i", "#room")
    local = users["olga"]
    local.feed(b"MODE olga +i\r\n")
    assert not sees_user(server, users["alice"], local)
    assert not sees_user(server, local, iris)
    assert sees_user(server, users["alice"], iris)  # both in #room
    assert sees_user(server, local, local)
    local.feed(b"JOIN #room\r\n")  # now she shares #room with both
    await settle()
    assert sees_user(server, users["alice"], local) and sees_user(server, local, iris)
