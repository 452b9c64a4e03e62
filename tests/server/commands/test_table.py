"""The command table: one literal list of verbs, handed to the core by its composer."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from chatroom.protocol.line import Line
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.response import ResponseBuffer
from chatroom.server.server import Command, Server
from chatroom.server.session import Session
from support.fakes import FakeTransport


def test_every_handler_starts_with_its_syntax_line() -> None:
    for verb, command in COMMANDS.items():
        doc = command.handler.__doc__ or ""
        assert doc.split()[0] == verb, f"{verb}: {command.handler.__qualname__}"


def test_the_table_holds_the_checks() -> None:
    assert COMMANDS["USER"] == Command(COMMANDS["USER"].handler, 4, pre_registration=True)
    assert COMMANDS["KILL"].oper_only and not COMMANDS["OPER"].oper_only
    assert not COMMANDS["JOIN"].pre_registration and COMMANDS["CAP"].pre_registration
    pre = {verb for verb, command in COMMANDS.items() if command.pre_registration}
    registration = {"CAP", "PASS", "NICK", "USER", "PING", "PONG", "QUIT"}
    # AWAY: with draft/pre-away only (its handler answers 451 otherwise).
    assert pre == registration | {"AUTHENTICATE", "REGISTER", "AWAY"}


def test_importing_the_core_loads_no_handler() -> None:
    """The core does not reach the handlers (that was an import cycle): only the table,
    which the composition imports, does."""
    code = (
        "import sys, chatroom.server.server, chatroom.server.session;"
        "print(sorted(m for m in sys.modules if m.startswith('chatroom.server.commands')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_the_server_runs_the_table_it_is_given() -> None:
    seen: list[tuple[str, ...]] = []

    def echo(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
        """ECHO <text>"""
        seen.append(line.params)
        rb.add(Line("ECHO", line.params, server.config.name))

    table = {"ECHO": Command(echo, 1, pre_registration=True)}
    server = Server(Config(), asyncio.get_running_loop(), commands=table)
    transport = FakeTransport()
    session = server.connect(transport, "127.0.0.1", 1)
    assert session is not None
    session.feed(b"ECHO hello\r\nECHO\r\nNICK alice\r\n")
    await asyncio.sleep(0)
    assert seen == [("hello",)]
    assert b":chatroom ECHO hello\r\n" in transport.data
    assert b" 461 * ECHO :Not enough parameters\r\n" in transport.data
    assert b" 451 * :You have not registered\r\n" in transport.data  # NICK: not in this table
