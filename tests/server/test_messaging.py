"""Relaying PRIVMSG and NOTICE on a real core without sockets."""

from __future__ import annotations

import asyncio

from chatroom.protocol.line import parse
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.storage.base import OnStored, StoredMessage
from chatroom.storage.memory import MemoryHistoryStore
from support.fakes import FakeTransport, settle


class _Recording(MemoryHistoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.appended: list[StoredMessage] = []

    def append(self, message: StoredMessage, on_stored: OnStored | None = None) -> None:
        self.appended.append(message)
        super().append(message, on_stored)


def _connect(server: Server, nick: str, port: int, caps: str = "") -> Session:
    session = server.connect(FakeTransport(), "10.0.0.7", port)
    assert session is not None
    if caps:
        session.feed(f"CAP REQ :{caps}\r\nCAP END\r\n".encode())
    session.feed(f"NICK {nick}\r\nUSER {'u' * 15} 0 * :{nick}\r\n".encode())
    return session


def _lines(session: Session) -> list[bytes]:
    transport = session.transport
    assert isinstance(transport, FakeTransport)
    return transport.data.split(b"\r\n")


async def test_relayed_text_is_cut_to_fit_512_bytes_and_stored_as_relayed() -> None:
    """A 512-byte PRIVMSG from a 32-character nick grew to 572 bytes when relayed
    (issue 14, item 12): the text is cut, on a character boundary, and history
    keeps what was relayed."""
    store = _Recording()
    server = Server(
        Config(default_room="", flood_enabled=False),
        asyncio.get_running_loop(),
        store,
        commands=COMMANDS,
    )
    sender = _connect(server, "s" * 32, 1000, caps="echo-message")
    reader = _connect(server, "reader", 1001)
    for session in (sender, reader):
        session.feed(b"JOIN #c\r\n")
    await settle()
    for verb, target in (("PRIVMSG", "#c"), ("NOTICE", "#c"), ("PRIVMSG", "reader")):
        head = f"{verb} {target} :".encode()
        room = 510 - len(head)
        text = ("é" * (room // 2) + "x" * (room % 2)).encode()  # 2-byte characters
        line = head + text + b"\r\n"
        assert len(line) == 512
        sender.feed(line)
        await store.flush()
        await settle()
        relayed = next(x for x in _lines(reader) if f" {verb} {target} ".encode() in x)
        assert len(relayed) + 2 <= 512
        assert len(relayed) + 2 >= 511  # cut no more than one character too many
        echoed = next(x for x in _lines(sender) if f" {verb} {target} ".encode() in x)
        assert echoed == relayed
        sent = parse(relayed.decode()).params[1]
        assert set(sent) == {"é"} and text.decode().startswith(sent)
        assert store.appended[-1].text == sent
