"""Registration as one state and one table: every state x event, and the core using it."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from chatroom.errors import LocalProtocolError
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.regstate import TRANSITIONS, RegEvent, RegState, allowed, next_state
from chatroom.server.server import Server
from chatroom.server.session import Session
from support.fakes import FakeTransport

# What each state before registration has received: (a nick, USER, inside CAP negotiation).
_HAS: dict[RegState, tuple[bool, bool, bool]] = {
    RegState.START: (False, False, False),
    RegState.NICK: (True, False, False),
    RegState.USER: (False, True, False),
    RegState.READY: (True, True, False),
    RegState.CAP: (False, False, True),
    RegState.CAP_NICK: (True, False, True),
    RegState.CAP_USER: (False, True, True),
    RegState.CAP_READY: (True, True, True),
}
_STATE_OF = {has: state for state, has in _HAS.items()}


def _expected(state: RegState, event: RegEvent) -> RegState | None:
    """The rules of registration, written apart from the table: None where illegal."""
    if state is RegState.REGISTERED:
        return None  # final: nothing after registration is a registration step
    nick, user, cap = _HAS[state]
    if event is RegEvent.NICK:
        return _STATE_OF[True, user, cap]
    if event is RegEvent.USER:
        return None if user else _STATE_OF[nick, True, cap]
    if event is RegEvent.CAP_BEGIN:
        return _STATE_OF[nick, user, True]
    if event is RegEvent.CAP_END:
        return _STATE_OF[nick, user, False]
    if state is not RegState.READY:
        return None  # the server registers (or refuses the nick) only when ready
    return RegState.REGISTERED if event is RegEvent.WELCOME else RegState.USER


@pytest.mark.parametrize(("state", "event"), list(itertools.product(RegState, RegEvent)))
def test_every_state_and_event(state: RegState, event: RegEvent) -> None:
    expected = _expected(state, event)
    assert allowed(state, event) == (expected is not None)
    if expected is None:
        with pytest.raises(LocalProtocolError, match=f"{event.name} in state {state.name}"):
            next_state(state, event)
    else:
        assert next_state(state, event) is expected


def test_the_table_has_nothing_else() -> None:
    legal = {(s, e) for s, e in itertools.product(RegState, RegEvent) if _expected(s, e)}
    assert set(TRANSITIONS) == legal


def test_every_state_is_reached_from_start() -> None:
    seen, todo = {RegState.START}, [RegState.START]
    while todo:
        state = todo.pop()
        for (source, _), target in TRANSITIONS.items():
            if source is state and target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(RegState)


def _connect(server: Server, port: int) -> tuple[Session, FakeTransport]:
    transport = FakeTransport()
    session = server.connect(transport, "127.0.0.1", port)
    assert session is not None
    return session, transport


async def test_the_session_moves_through_the_table() -> None:
    server = Server(Config(), asyncio.get_running_loop(), commands=COMMANDS)
    session, transport = _connect(server, 1)
    steps = [
        (b"CAP LS 302\r\n", RegState.CAP),
        (b"NICK alice\r\n", RegState.CAP_NICK),
        (b"NICK alicia\r\n", RegState.CAP_NICK),
        (b"USER a 0 * :A\r\n", RegState.CAP_READY),
        (b"USER b 0 * :B\r\n", RegState.CAP_READY),  # 462, nothing changes
        (b"CAP REQ :server-time\r\n", RegState.CAP_READY),
        (b"CAP END\r\n", RegState.REGISTERED),
        (b"CAP LS\r\n", RegState.REGISTERED),  # negotiation after registering
        (b"NICK alice\r\n", RegState.REGISTERED),
    ]
    for data, state in steps:
        session.feed(data)
        assert session.registration is state, data
    await asyncio.sleep(0)
    assert b" 462 alicia :You may not reregister" in transport.data
    assert b" 001 alicia " in transport.data and session.registered


async def test_a_nick_taken_before_registering_ends_is_dropped() -> None:
    """A NICK accepted before registering is not reserved: if another client registers
    it first, USER gets 433 and the client is back to needing a nick."""
    server = Server(Config(), asyncio.get_running_loop(), commands=COMMANDS)
    slow, slow_out = _connect(server, 1)
    slow.feed(b"NICK bob\r\n")
    fast, _ = _connect(server, 2)
    fast.feed(b"NICK bob\r\nUSER b 0 * :B\r\n")
    assert fast.registered
    slow.feed(b"USER s 0 * :S\r\n")
    assert slow.registration is RegState.USER and slow.nick == "*"
    slow.feed(b"NICK robert\r\n")
    assert slow.registered and server.find_user("robert") is slow
    await asyncio.sleep(0)
    assert b" 433 bob bob :Nickname is already in use" in slow_out.data
