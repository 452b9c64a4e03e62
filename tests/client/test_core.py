"""The asyncio layer around the protocol, without a socket: what it writes,
what it reports and in which order, and how it reacts to the protocol."""

from __future__ import annotations

import asyncio

from chatroom.client.config import ClientConfig
from chatroom.client.core import QUIT_GRACE, ChatClient
from chatroom.client.events import Event, MessageAdded, Ready, Registered
from chatroom.protocol import Line, parse


class FakeConnection:
    """Records what the client writes; ``abort`` is what the quit timer calls."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed = False

    def send(self, line: Line) -> None:
        self.sent.append(line.format())

    def abort(self) -> None:
        self.closed = True


def connected(**config: object) -> tuple[ChatClient, FakeConnection]:
    client = ChatClient(ClientConfig(nick="alice", **config))  # type: ignore[arg-type]
    conn = FakeConnection()
    client._conn = conn  # type: ignore[assignment]
    client.protocol.connection_made()
    client._flush()
    return client, conn


def feed(client: ChatClient, *texts: str) -> None:
    for text in texts:
        client.protocol.receive_line(parse(text))
        client._flush()


async def test_what_the_protocol_queues_is_written_and_ready_is_set() -> None:
    client, conn = connected(rooms=())
    assert conn.sent == ["CAP LS 302", "NICK alice", "USER alice 0 * alice"]
    feed(client, ":srv 001 alice :Welcome", ":srv 376 alice :End of /MOTD command.")
    assert client.registered and client.ready.is_set()


async def test_events_stay_in_order_when_an_observer_calls_back() -> None:
    client, _ = connected(rooms=())
    seen: list[Event] = []

    def observer(event: Event) -> None:
        seen.append(event)
        if isinstance(event, Registered):
            client.submit("/help join")  # notes: reported after what came before

    client.subscribe(observer)
    feed(client, ":srv 001 alice :Welcome", ":srv 376 alice :End of /MOTD command.")
    assert isinstance(seen[0], Registered) and seen[1] == Ready(())
    assert seen[2:] and all(isinstance(e, MessageAdded) for e in seen[2:])


async def test_quit_typed_by_the_user_sends_quit_and_closes_after_a_grace() -> None:
    client, conn = connected()
    timers: list[float] = []
    loop = asyncio.get_running_loop()
    real_call_later = loop.call_later

    def call_later(delay: float, callback: object, *args: object) -> asyncio.TimerHandle:
        timers.append(delay)
        return real_call_later(0, callback, *args)  # type: ignore[arg-type]

    loop.call_later = call_later  # type: ignore[method-assign]
    try:
        client.submit("/quit see you")
        client.quit("twice")  # idempotent
        await asyncio.sleep(0.01)
    finally:
        loop.call_later = real_call_later  # type: ignore[method-assign]
    assert conn.sent[-1] == "QUIT :see you" and conn.sent.count("QUIT :see you") == 1
    assert timers.count(QUIT_GRACE) == 1 and conn.closed and client._wake.is_set()


async def test_wait_echoed_follows_the_protocols_count() -> None:
    client, _ = connected()
    feed(
        client,
        ":srv CAP * LS :echo-message",
        ":srv CAP * ACK :echo-message",
        ":srv 001 alice :Welcome",
        ":srv 376 alice :End of /MOTD command.",
        ":alice!~a@h JOIN #lobby",
        ":srv 366 alice #lobby :End",
    )
    client.submit("hi")
    assert not await client.wait_echoed(0.01)
    feed(client, ":alice!~a@h PRIVMSG #lobby :hi")
    assert await client.wait_echoed(0.01)
