"""Fuzz the core: no line a client can send makes a handler fail (``FAIL … INTERNAL_ERROR``
and a traceback in the log). Issue 14, item 9: ``CAP LS ²``, ``MODE #c +l ²``..."""

from __future__ import annotations

import asyncio
import logging

from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.storage.accounts_memory import MemoryAccountStore
from chatroom.storage.memory import MemoryHistoryStore
from chatroom.storage.passwords import Passwords
from support.fakes import FakeTransport, settle
from support.irc_lines import irc_line

# Cheap hashing: the fuzz runs hundreds of servers, each with an account store.
_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


class _Errors(logging.Handler):
    """Every record at ERROR or above, or with a traceback, that the server logs."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


def _connect(server: Server, port: int, nick: str | None) -> tuple[Session, FakeTransport]:
    transport = FakeTransport()
    session = server.connect(transport, "10.0.0.7", port)
    assert session is not None
    if nick is not None:
        session.feed(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nJOIN #lobby,#c\r\n".encode())
    return session, transport


async def _run(lines: list[bytes]) -> tuple[list[logging.LogRecord], bytes]:
    accounts = MemoryAccountStore(passwords=_PASSWORDS)
    server = Server(
        Config(flood_enabled=False),
        asyncio.get_running_loop(),
        MemoryHistoryStore(),
        accounts,
        commands=COMMANDS,
    )
    errors = _Errors()
    logger = logging.getLogger("chatroom")
    logger.addHandler(errors)
    try:
        newcomer, new_out = _connect(server, 1, None)
        alice, alice_out = _connect(server, 2, "alice")
        _connect(server, 3, "bob")
        alice.set_mode("o", True)  # so operator commands run too
        alice.feed(b"PRIVMSG #lobby :hello\r\nPRIVMSG bob :hi\r\n")
        await settle()
        for data in lines:
            newcomer.feed(data)  # before registration (CAP LS ² was one)
            alice.feed(data)
            await settle()
        while server.tasks:
            await asyncio.gather(*server.tasks, return_exceptions=True)
        server.flush()
    finally:
        logger.removeHandler(errors)
        server.shutdown()
        await accounts.close()
    return errors.records, new_out.data + alice_out.data


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(lines=st.lists(irc_line, min_size=1, max_size=8))
async def test_no_line_makes_a_handler_fail(lines: list[bytes]) -> None:
    records, received = await _run(lines)
    assert [r.getMessage() for r in records] == []
    assert b"INTERNAL_ERROR" not in received


async def test_unicode_digits_get_proper_replies() -> None:
    """The lines from the issue, each with its command's usual answer."""
    lines = [
        b"CAP LS \xc2\xb2\r\n",
        b"CHATHISTORY LATEST #lobby * \xc2\xb2\r\n",
        b"MODE #c +l \xd9\xa3\r\n",
        b"LIST >\xc2\xb2\r\n",
        b"WHOWAS x \xc2\xb2\r\n",
        b"KLINE \xc2\xb2 *!*@10.9.9.9 :go\r\n",
    ]
    records, received = await _run(lines)
    assert records == [] and b"INTERNAL_ERROR" not in received
    assert b"CAP * LS :" in received
    assert b"FAIL CHATHISTORY INVALID_PARAMS LATEST :Invalid limit" in received
    assert b" 696 alice #c l \xd9\xa3 :Invalid limit" in received
    assert b" 323 alice :End of /LIST" in received
    assert b" 369 alice x :End of WHOWAS" in received
