"""A session sends a large reply as its client reads it (issue 14, item 6): the
bytes waiting stay bounded, and the whole reply arrives, labelled and in order."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.server.session import Session
from support.fakes import FakeTransport

TOPIC = "t" * 300


class SlowReader(FakeTransport):
    """A transport whose buffer empties only when the test reads from it, and that
    tells the session it is full (over ``high``) and drained, as asyncio does."""

    def __init__(self, high: int = 64 * 1024) -> None:
        super().__init__()
        self.session: Session | None = None
        self.high = high
        self.buffered = 0
        self.most = 0  # the most bytes ever waiting
        self.full = False

    def write(self, data: bytes) -> None:
        super().write(data)
        self.buffered += len(data)
        self.most = max(self.most, self.buffered)
        if self.buffered > self.high and not self.full and self.session is not None:
            self.full = True
            self.session.pause_writing()

    def read(self, size: int) -> None:
        self.buffered = max(0, self.buffered - size)
        if self.full and self.buffered <= self.high // 4 and self.session is not None:
            self.full = False
            self.session.resume_writing()

    def get_write_buffer_size(self) -> int:
        return self.buffered


async def _big_server(channels: int, sendq: int) -> Server:
    server = Server(
        Config(sendq=sendq, flood_enabled=False, default_room=""),
        asyncio.get_running_loop(),
        commands=COMMANDS,
    )
    for i in range(channels):
        server.get_or_create_channel(f"#room{i}").topic = TOPIC
    return server


def _connect(server: Server, transport: SlowReader) -> Session:
    session = server.connect(transport, "10.0.0.7", 1)
    assert session is not None
    transport.session = session
    session.feed(b"CAP REQ :batch labeled-response\r\nNICK reader\r\nUSER r 0 * :r\r\nCAP END\r\n")
    return session


async def test_a_list_bigger_than_the_sendq_arrives_whole_to_a_slow_reader() -> None:
    sendq = 256 * 1024
    server = await _big_server(2000, sendq)  # about 700 KB of LIST
    transport = SlowReader()
    session = _connect(server, transport)
    session.feed(b"@label=L1 LIST\r\nPING :after\r\n")
    for _ in range(10_000):
        await asyncio.sleep(0)
        transport.read(8192)
        if b"PONG" in transport.data:
            break
    assert not session.closed, session.quit_reason
    assert transport.most <= sendq
    lines = transport.data.split(b"\r\n")
    start = next(
        i
        for i, line in enumerate(lines)
        if line.endswith(b" labeled-response") and b"BATCH" in line
    )
    assert lines[start].startswith(b"@label=L1 :chatroom BATCH +")
    ref = lines[start].split(b"BATCH +")[1].split()[0]
    rows = [line for line in lines if b" 322 reader #room" in line]
    assert len(rows) == 2000
    assert all(row.startswith(b"@batch=" + ref + b" ") for row in rows)
    end = lines.index(b":chatroom BATCH -" + ref)
    assert b" 323 reader " in lines[end - 1]
    # The next command was answered after the whole reply, not in the middle of it.
    assert b"PONG" in b"".join(lines[end:]) and b"PONG" not in b"".join(lines[:end])


async def test_a_reader_that_stops_reading_gets_no_more_than_a_chunk_past_full() -> None:
    server = await _big_server(2000, 256 * 1024)
    transport = SlowReader()
    session = _connect(server, transport)
    session.feed(b"LIST\r\n")
    for _ in range(200):
        await asyncio.sleep(0)
    assert not session.closed and transport.full
    assert transport.most < transport.high + 32 * 1024
    rows = transport.data.count(b" 322 reader ")
    assert 0 < rows < 2000
    transport.read(10**9)  # it reads again: the rest comes
    for _ in range(2000):
        await asyncio.sleep(0)
        transport.read(10**9)
    assert transport.data.count(b" 322 reader ") == 2000


async def test_a_streamed_reply_counts_for_flood_control_by_its_size() -> None:
    server = Server(
        Config(flood_burst=20, flood_rate=5.0, default_room=""),
        asyncio.get_running_loop(),
        commands=COMMANDS,
    )
    for i in range(400):
        server.get_or_create_channel(f"#room{i}")
    transport = SlowReader()
    session = _connect(server, transport)
    assert session.flood is not None
    for _ in range(50):
        await asyncio.sleep(0)
        transport.read(10**9)
    session.feed(b"LIST\r\nPING :after\r\n")
    for _ in range(50):
        await asyncio.sleep(0)
        transport.read(10**9)
    assert transport.data.count(b" 322 reader ") == 400
    # 400 lines cost 40 tokens: more than the burst, so the PING waits its turn.
    assert b"PONG" not in transport.data
    assert session.flood.wait() > 1.0


async def test_the_sweep_pings_an_idle_client_and_drops_a_silent_one() -> None:
    config = Config(ping_interval=10.0, ping_timeout=5.0, registration_timeout=3.0)
    server = Server(config, asyncio.get_running_loop(), commands=COMMANDS)
    newcomer = server.connect(FakeTransport(), "127.0.0.1", 1)
    transport = FakeTransport()
    user = server.connect(transport, "127.0.0.1", 2)
    assert newcomer is not None and user is not None
    user.feed(b"NICK idle\r\nUSER i 0 * :I\r\n")
    start = user.last_recv
    user.check_alive(start + 11, b"PING :x\r\n")
    newcomer.check_alive(start + 11, b"PING :x\r\n")
    assert newcomer.closed and newcomer.quit_reason == "Registration timed out"
    assert user.ping_pending and not user.closed
    user.flush()
    assert transport.data.endswith(b"PING :x\r\n")
    user.check_alive(start + 16, b"PING :x\r\n")
    assert user.closed and user.quit_reason == "Ping timeout: 16 seconds"


# -- memory per idle session (issue 20, item 6) ------------------------------------------

IDLE_SESSIONS = 500
IDLE_SESSION_BYTES = 2000
"""Python memory one registered, idle session may hold (the session, its decoder, its
name strings and sets), without its transport: 4,900 bytes with a __dict__, a deque in
the session and in its decoder and four empty sets; about 1,700 now."""


async def test_a_session_keeps_its_attributes_in_slots_and_shares_its_empty_sets() -> None:
    server = Server(Config(default_room=""), asyncio.get_running_loop(), commands=COMMANDS)
    one = server.connect(FakeTransport(), "10.0.0.1", 1)
    two = server.connect(FakeTransport(), "10.0.0.2", 1)
    assert one is not None and two is not None
    assert not hasattr(one, "__dict__")
    assert one.caps is two.caps and one.modes is two.modes and one.invited is two.invited
    one.feed(b"NICK one\r\nUSER o 0 * :O\r\nMODE one +i\r\n")
    assert one.invisible and not two.invisible and not two.modes


async def test_an_idle_registered_session_costs_little_python_memory() -> None:
    server = Server(
        Config(default_room="", max_per_address=0), asyncio.get_running_loop(), commands=COMMANDS
    )
    transports = [FakeTransport() for _ in range(IDLE_SESSIONS)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i, transport in enumerate(transports):
            session = server.connect(transport, "10.0.0.1", i)
            assert session is not None
            session.feed(f"NICK idle{i}\r\nUSER i 0 * :Idle\r\n".encode())
        await asyncio.sleep(0)  # the replies are flushed to the transports
        for transport in transports:
            transport.data = b""  # what was sent is the transport's, not the session's
        gc.collect()
        per_session = (tracemalloc.get_traced_memory()[0] - before) / IDLE_SESSIONS
    finally:
        tracemalloc.stop()
    assert all(s.registered for s in server.sessions)
    assert per_session < IDLE_SESSION_BYTES, per_session
