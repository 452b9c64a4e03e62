"""The server core in memory: clients over a fake transport, lines in, lines out.

:class:`FakeClient` is one connection to a :class:`~chatroom.server.server.Server`:
``send`` feeds it lines, ``lines`` returns the parsed lines the server wrote since
the last call. :class:`Harness` makes a server with memory history and accounts
and registered clients on it, for the command tests (``tests/server/commands``).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections.abc import Callable, Iterable

from chatroom.protocol.line import Line, parse
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config, Operator
from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.storage.accounts_memory import MemoryAccountStore
from chatroom.storage.memory import MemoryHistoryStore
from support.account_stores import CHEAP
from support.fakes import FakeTransport, settle

_ports = itertools.count(40000)

DEFAULT_CAPS = ("batch", "server-time", "message-tags")
"""The capabilities :meth:`FakeClient.register` asks for unless told otherwise."""

OPER_NAME = "root"
OPER_PASSWORD = "operator password"


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

    async def register(
        self, nick: str, *then: str, caps: Iterable[str] = DEFAULT_CAPS
    ) -> FakeClient:
        """Register as ``nick`` with ``caps`` (none: no CAP negotiation at all),
        sending ``then`` after NICK and USER, before CAP END."""
        wanted = " ".join(caps)
        if wanted:
            self.send("CAP LS 302", f"CAP REQ :{wanted}")
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}", *then)
        if wanted:
            self.send("CAP END")
        await until(lambda: any(line.command == "001" for line in self.lines()))
        return self

    async def ask(self, line: str) -> list[Line]:
        """Send ``line``; return the replies once they stop coming."""
        self.send(line)
        await settle()
        await asyncio.sleep(0.01)
        await settle()
        return self.lines()

    async def expect(self, line: str, *commands: str) -> list[Line]:
        """Send ``line``; return what arrives up to and including the first line
        whose command is one of ``commands`` (for answers that take a while, as a
        password check), and what came with it."""
        self.send(line)
        return await self.wait_for(*commands)

    async def wait_for(self, *commands: str) -> list[Line]:
        """What arrives until a line whose command is one of ``commands``."""
        seen: list[Line] = []

        def done() -> bool:
            seen.extend(self.lines())
            return any(line.command in commands for line in seen)

        await until(done)
        await settle()
        seen.extend(self.lines())
        return seen

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
        return await self.wait_for("903", "904")


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the loop run until ``condition()`` is true (a password check takes a while)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.005)


class Harness:
    """A server with memory history and accounts (either may be left out), and
    one operator, ``root``; flood control is off unless ``config`` turns it on.

    Make it inside a running event loop (an async fixture)."""

    def __init__(
        self, config: Config | None = None, *, history: bool = True, accounts: bool = True
    ) -> None:
        if config is None:
            config = Config(
                flood_enabled=False,
                operators=(Operator(OPER_NAME, CHEAP.hash(OPER_PASSWORD)),),
            )
        self.history = MemoryHistoryStore() if history else None
        self.accounts = MemoryAccountStore(passwords=CHEAP) if accounts else None
        self.server = Server(
            config, asyncio.get_running_loop(), self.history, self.accounts, commands=COMMANDS
        )
        self._addresses = itertools.count(1)

    def connect(self, address: str | None = None) -> FakeClient:
        """A new connection, not registered, from its own address unless given one."""
        return FakeClient(self.server, address or f"10.0.0.{next(self._addresses)}")

    async def user(
        self, nick: str, *then: str, caps: Iterable[str] = (), address: str | None = None
    ) -> FakeClient:
        """A registered client with ``caps`` (none by default), its welcome burst read."""
        client = await self.connect(address).register(nick, *then, caps=caps)
        await settle()
        client.lines()
        return client

    async def oper(self, nick: str, *, caps: Iterable[str] = ()) -> FakeClient:
        """A registered client that is an IRC operator."""
        client = await self.user(nick, caps=caps)
        await client.expect(f"OPER {OPER_NAME} :{OPER_PASSWORD}", "381", "464")
        assert client.session.is_operator
        return client

    async def close(self) -> None:
        self.server.shutdown()
        if self.accounts is not None:
            await self.accounts.close()


async def join(channel: str, *clients: FakeClient) -> None:
    """Each client joins ``channel`` in turn (the first is its operator); what they
    were told meanwhile is read and dropped."""
    for client in clients:
        await client.ask(f"JOIN {channel}")
    for client in clients:
        client.lines()


def commands(lines: Iterable[Line]) -> list[str]:
    """The command (or numeric) of each line."""
    return [line.command for line in lines]


def find(lines: Iterable[Line], command: str) -> Line:
    """The first line with ``command``; fails the test if there is none."""
    lines = list(lines)
    found = [line for line in lines if line.command == command]
    assert found, f"no {command} in {lines}"
    return found[0]


def params(lines: Iterable[Line], command: str) -> list[tuple[str, ...]]:
    """The parameters of every line with ``command``."""
    return [line.params for line in lines if line.command == command]


async def say(client: FakeClient, target: str, *texts: str) -> None:
    """``client`` says each of ``texts`` to ``target``, a millisecond or two apart
    (history keeps time to the millisecond, so their order is their times')."""
    for text in texts:
        await client.ask(f"PRIVMSG {target} :{text}")
        await asyncio.sleep(0.002)


def texts(replies: Iterable[Line]) -> list[str]:
    """The text of each PRIVMSG and NOTICE among ``replies``."""
    return [line.params[1] for line in replies if line.command in ("PRIVMSG", "NOTICE")]
