"""A client wired to a fake connection, to test the core line by line."""

from __future__ import annotations

from chatroom.client import handlers
from chatroom.client.config import ClientConfig
from chatroom.client.core import ChatClient
from chatroom.client.events import Event
from chatroom.protocol import Line, parse


class FakeConnection:
    """Records what the client sends."""

    def __init__(self) -> None:
        self.sent: list[Line] = []
        self.closed = False

    def send(self, line: Line) -> None:
        self.sent.append(line)

    def texts(self) -> list[str]:
        return [line.format() for line in self.sent]


class Harness:
    """A ChatClient with a fake connection, its events, and a way to feed it lines."""

    def __init__(self, nick: str | None = "alice", **config: object) -> None:
        self.client = ChatClient(ClientConfig(nick=nick, **config))  # type: ignore[arg-type]
        self.events: list[Event] = []
        self.client.subscribe(self.events.append)
        self.conn = FakeConnection()
        self.client._conn = self.conn  # type: ignore[assignment]

    def feed(self, *lines: str) -> None:
        for text in lines:
            handlers.handle(self.client, parse(text))

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def register(self, nick: str = "alice") -> Harness:
        self.feed(
            f":srv 001 {nick} :Welcome to the Test Network, {nick}!~{nick}@127.0.0.1",
            f":srv 005 {nick} PREFIX=(ov)@+ NICKLEN=32 CHANMODES=beI,k,l,imnst :are supported",
            f":srv 376 {nick} :End of /MOTD command.",
        )
        return self

    def join(self, channel: str = "#lobby", names: str = "@alice bob") -> Harness:
        nick = self.client.nick
        self.feed(
            f":{nick}!~{nick}@h JOIN {channel}",
            f":srv 353 {nick} = {channel} :{names}",
            f":srv 366 {nick} {channel} :End of /NAMES list",
        )
        return self
