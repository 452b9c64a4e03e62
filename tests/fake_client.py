"""A client of the core over a fake transport: send lines, read the parsed replies."""

from __future__ import annotations

import asyncio
import base64
import itertools
from typing import TYPE_CHECKING

from chatroom.protocol.line import Line, parse
from fakes import FakeTransport, settle

if TYPE_CHECKING:
    from chatroom.server.server import Server
    from chatroom.server.session import Session

_ports = itertools.count(40000)


class FakeClient:
    """One connection to ``server``; ``lines()`` returns what arrived since last asked."""

    def __init__(self, server: Server, address: str = "10.0.0.1") -> None:
        self.transport = FakeTransport()
        session = server.connect(self.transport, address, next(_ports))
        assert session is not None
        self.session: Session = session
        self._read = 0

    def send(self, *lines: str) -> None:
        self.session.feed("".join(f"{line}\r\n" for line in lines).encode())

    def lines(self) -> list[Line]:
        data = self.transport.data[self._read :]
        self._read = len(self.transport.data)
        return [parse(raw.decode()) for raw in data.split(b"\r\n") if raw]

    async def register(self, nick: str, *then: str) -> FakeClient:
        """Register as ``nick`` (with batch and server-time), sending ``then`` after
        NICK and USER, before CAP END."""
        self.send("CAP LS 302", "CAP REQ :batch server-time message-tags")
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}", *then, "CAP END")
        await until(lambda: any(line.command == "001" for line in self.lines()))
        return self

    async def ask(self, line: str) -> list[Line]:
        """Send ``line``; return the replies once they stop coming."""
        self.send(line)
        await settle()
        await asyncio.sleep(0.01)
        await settle()
        return self.lines()

    async def history(self, *params: str) -> list[str]:
        """``CHATHISTORY …``: the texts of the replayed messages."""
        replies = await self.ask("CHATHISTORY " + " ".join(params))
        assert any(line.command == "BATCH" for line in replies), replies
        return [
            line.params[1]
            for line in replies
            if line.command in ("PRIVMSG", "NOTICE") and "batch" in line.tags
        ]

    async def targets(self) -> list[str]:
        """``CHATHISTORY TARGETS`` over all time: the names listed."""
        replies = await self.ask(
            "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z "
            "timestamp=2100-01-01T00:00:00.000Z 100"
        )
        assert any(line.command == "BATCH" for line in replies), replies
        return [line.params[1] for line in replies if line.command == "CHATHISTORY"]

    async def log_in(self, account: str, password: str) -> list[Line]:
        """SASL PLAIN; the replies (900 and 903 on success)."""
        payload = base64.b64encode(f"\0{account}\0{password}".encode()).decode()
        self.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {payload}")
        seen: list[Line] = []

        def done() -> bool:
            seen.extend(self.lines())
            return any(line.command in ("903", "904") for line in seen)

        await until(done)
        return seen


async def until(condition: object, timeout: float = 10.0) -> None:
    """Let the loop run until ``condition()`` is true (a password check takes a while)."""
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.005)
