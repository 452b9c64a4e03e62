"""The client protocol with what it sends and reports gathered, to test it
line by line (no network, no event loop)."""

from __future__ import annotations

from chatroom.client.config import ClientConfig
from chatroom.client.events import Event
from chatroom.client.handlers import handle
from chatroom.client.protocol import ClientProtocol
from chatroom.protocol import Line, parse


class Sent:
    """What the protocol has queued to send, taken out as it is looked at."""

    def __init__(self, protocol: ClientProtocol) -> None:
        self._protocol = protocol
        self._sent: list[Line] = []

    @property
    def sent(self) -> list[Line]:
        self._sent.extend(self._protocol.lines_to_send())
        return self._sent

    def texts(self) -> list[str]:
        return [line.format() for line in self.sent]


class Harness:
    """A ClientProtocol on an open connection (its opening lines and events
    dropped), its events, and a way to feed it lines."""

    def __init__(self, nick: str | None = "alice", **config: object) -> None:
        self.client = ClientProtocol(ClientConfig(nick=nick, **config))  # type: ignore[arg-type]
        self.client.connection_made()
        self.client.lines_to_send()
        self.client.events_received()
        self.conn = Sent(self.client)
        self._events: list[Event] = []

    @property
    def events(self) -> list[Event]:
        self._events.extend(self.client.events_received())
        return self._events

    def feed(self, *lines: str) -> None:
        for text in lines:
            handle(self.client, parse(text))  # not receive_line: a test sees tracebacks

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


def chatting(caps: tuple[str, ...] = ("message-tags",), **config: object) -> ClientProtocol:
    """A protocol registered as "me", in #room (the active buffer), with ``caps``
    enabled and nothing left to send or report."""
    protocol = ClientProtocol(ClientConfig(nick="me", rooms=(), **config))  # type: ignore[arg-type]
    protocol.connection_made()
    for text in (":srv 001 me :Welcome", ":srv 376 me :End", ":me!u@h JOIN #room"):
        protocol.receive_line(parse(text))
    protocol.caps = set(caps)
    protocol.switch_to("#room")
    protocol.lines_to_send()
    protocol.events_received()
    return protocol


def sent(protocol: ClientProtocol) -> list[str]:
    """What ``protocol`` queued to send since asked last, as wire text."""
    return [line.format() for line in protocol.lines_to_send()]
