"""Channel bans on a real core without sockets: what they cost per message, and what
a banned member may not do (issue 14, items 1 and 13)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.server.session import Session
from support.fakes import FakeTransport, settle

# The adversarial ban list of issue 14: a hundred masks shaped like '*aaaa…aaab'.
HOSTILE = [f"*{'a' * (k - 2)}b" for k in range(30, 130)]


def _connect(server: Server, nick: str, user: str = "u", port: int = 1000) -> Session:
    session = server.connect(FakeTransport(), "10.0.0.7", port)
    assert session is not None
    session.feed(f"NICK {nick}\r\nUSER {user} 0 * :{nick}\r\n".encode())
    return session


def _sent(session: Session) -> str:
    transport = session.transport
    assert isinstance(transport, FakeTransport)
    return transport.data.decode()


@pytest.fixture
def match_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every mask a session is matched against, in order."""
    calls: list[str] = []
    original = Session.matches

    def counting(self: Session, mask: str) -> bool:
        calls.append(mask)
        return original(self, mask)

    monkeypatch.setattr(Session, "matches", counting)
    yield calls


async def _hostile_channel(senders: int) -> tuple[Server, Session, list[Session]]:
    config = Config(default_room="", flood_enabled=False, max_list_entries=110)
    server = Server(config, asyncio.get_running_loop(), commands=COMMANDS)
    owner = _connect(server, "owner")
    owner.feed(b"JOIN #c\r\n")
    for mask in HOSTILE:
        owner.feed(f"MODE #c +b {mask}\r\n".encode())
    channel = server.find_channel("#c")
    assert channel is not None and len(channel.lists["b"]) == 100
    members = []
    for i in range(senders):
        # 32-character nicks and 15-character usernames, as in the report.
        member = _connect(server, "a" * 31 + str(i), "a" * 15, 2000 + i)
        member.feed(b"JOIN #c\r\n")
        members.append(member)
    await settle()
    return server, owner, members


async def test_ban_checks_per_message_stay_flat(match_calls: list[str]) -> None:
    """Four members sending 'PRIVMSG #c,#c,#c,#c' to a channel with 100 hostile bans:
    each member's bans are matched once, however many messages follow."""
    _server, owner, members = await _hostile_channel(4)
    match_calls.clear()
    for member in members:
        member.feed(b"PRIVMSG #c,#c,#C,#c :x\r\n")
    first = len(match_calls)
    assert first == 4 * len(HOSTILE)  # each mask once per member (and target named once)
    for _ in range(25):
        for member in members:
            member.feed(b"PRIVMSG #c,#c,#C,#c :x\r\n")
    assert len(match_calls) == first
    await settle()
    assert _sent(owner).count("PRIVMSG #c :x") == 26 * 4  # each message relayed once


async def test_a_cached_answer_follows_the_member_and_the_lists(match_calls: list[str]) -> None:
    server, owner, (member,) = await _hostile_channel(1)
    channel = server.find_channel("#c")
    assert channel is not None
    assert not channel.is_banned(member)
    owner.feed(f"MODE #c +b {member.nick}!*@*\r\n".encode())
    assert channel.is_banned(member)  # a new ban counts at once
    owner.feed(f"MODE #c +e *!{member.user}@*\r\n".encode())
    assert not channel.is_banned(member)  # and so does an exception
    owner.feed(f"MODE #c -e *!{member.user}@*\r\n".encode())
    assert channel.is_banned(member)
    owner.feed(f"MODE #c -b {member.nick}!*@*\r\nMODE #c +b *!*@*\r\n".encode())
    owner.feed(b"MODE #c +e lucky!*@*\r\n")
    assert channel.is_banned(member)
    server.rename(member, "lucky")  # a new nick is matched again
    assert not channel.is_banned(member)
    calls = len(match_calls)
    assert not channel.is_banned(member)  # asked again: answered from the cache
    assert len(match_calls) == calls
    member.account = "acct"  # logging in changes the identity too
    assert not channel.is_banned(member)
    assert len(match_calls) > calls


async def test_duplicate_targets_get_one_message() -> None:
    server = Server(Config(default_room=""), asyncio.get_running_loop(), commands=COMMANDS)
    alice, bob = _connect(server, "alice"), _connect(server, "bob", port=1001)
    alice.feed(b"JOIN #c\r\n")
    bob.feed(b"JOIN #c\r\n")
    await settle()
    alice.feed(b"PRIVMSG #c,#C,bob,BOB :hi\r\n")
    await settle()
    assert _sent(bob).lower().count("privmsg #c :hi") == 1
    assert _sent(bob).lower().count("privmsg bob :hi") == 1


async def test_a_banned_member_cannot_change_nick() -> None:
    server = Server(Config(default_room=""), asyncio.get_running_loop(), commands=COMMANDS)
    op, troll = _connect(server, "op"), _connect(server, "troll", port=1001)
    op.feed(b"JOIN #c\r\n")
    troll.feed(b"JOIN #c\r\nJOIN #d\r\n")
    op.feed(b"MODE #c +b troll!*@*\r\n")
    troll.feed(b"NICK innocent\r\n")
    await settle()
    assert ":Cannot change nickname while banned on channel" in _sent(troll)
    assert " 435 troll innocent #c :" in _sent(troll)
    assert server.find_user("troll") is troll and " NICK " not in _sent(op)
    # Voiced (or opped) members may: the ban does not silence them either.
    op.feed(b"MODE #c +v troll\r\n")
    troll.feed(b"NICK innocent\r\n")
    await settle()
    assert server.find_user("innocent") is troll
    assert ":troll!~u@10.0.0.7 NICK innocent" in _sent(op)
    # An exception lifts the ban.
    op.feed(b"MODE #c -v innocent\r\nMODE #c +b innocent!*@*\r\nMODE #c +e *!~u@*\r\n")
    troll.feed(b"NICK third\r\n")
    await settle()
    assert server.find_user("third") is troll
