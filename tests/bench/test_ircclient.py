"""The load-generating client, driven with bytes through a fake transport (no sockets)."""

from __future__ import annotations

import asyncio

import pytest

from bench.ircclient import (
    MAX_JOIN_LINE,
    BenchClient,
    ClientFailed,
    Tally,
    _join_lines,
)
from bench.plan import ClientSpec
from bench.stamp import format_text


class FakeTransport(asyncio.Transport):
    """Records what the client writes."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False
        self.paused = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        self.paused = True


def _client(spec: ClientSpec) -> tuple[BenchClient, FakeTransport, Tally]:
    tally = Tally(max_samples=100)
    client = BenchClient(spec, tally, asyncio.get_running_loop())
    transport = FakeTransport()
    client.connection_made(transport)
    return client, transport, tally


def _privmsg(sender: int, seq: int, sent_ns: int) -> bytes:
    text = format_text(sender, seq, sent_ns, 40)
    return b":n%d!u@h PRIVMSG #r :" % sender + text + b"\r\n"


async def test_registers_then_joins_then_is_ready() -> None:
    client, transport, _ = _client(ClientSpec(1, "nick1", "#r"))
    assert transport.written == b"NICK nick1\r\nUSER nick1 0 * :chatroom bench\r\n"
    client.data_received(b":srv 001 nick1 :Welcome\r\n:srv 422 nick1 :No MOTD\r\n")
    assert transport.written.endswith(b"JOIN #r\r\n")
    assert not client.ready.done()
    client.data_received(b":nick1!u@h JOIN #r\r\n:srv 353 nick1 = #r :nick1\r\n:srv 366 nick")
    assert not client.ready.done()
    client.data_received(b"1 #r :End of /NAMES list.\r\n")
    assert client.ready.done() and client.ready.exception() is None


async def test_several_rooms_wait_for_every_names_end() -> None:
    client, transport, _ = _client(ClientSpec(1, "n", "#a,#b"))
    client.data_received(b":srv 001 n :hi\r\n:srv 366 n #a :End\r\n")
    assert b"JOIN #a,#b\r\n" in transport.written
    assert not client.ready.done()
    client.data_received(b":srv 366 n #b :End\r\n")
    assert client.ready.done()


def test_join_lines_stay_short() -> None:
    rooms = [f"#room{i}" for i in range(200)]
    lines = _join_lines(rooms).split(b"\r\n")[:-1]
    assert len(lines) > 1
    assert all(len(line) <= MAX_JOIN_LINE for line in lines)
    joined = b",".join(line.removeprefix(b"JOIN ") for line in lines)
    assert joined.decode().split(",") == rooms


async def test_nick_in_use_fails_with_the_numeric() -> None:
    client, transport, _ = _client(ClientSpec(1, "n", "#r"))
    client.data_received(b":srv 433 * n :Nickname is already in use\r\n")
    with pytest.raises(ClientFailed, match="433"):
        await client.ready
    assert transport.closed


async def test_closed_before_joining_fails() -> None:
    client, _, _ = _client(ClientSpec(1, "n", "#r"))
    client.connection_lost(None)
    with pytest.raises(ClientFailed, match="closed"):
        await client.ready


async def test_answers_ping_at_any_time() -> None:
    client, transport, _ = _client(ClientSpec(1, "n", "#r"))
    client.data_received(b"PING :abc123\r\n")
    assert transport.written.endswith(b"PONG :abc123\r\n")


async def test_counts_privmsgs_split_across_chunks_and_completes() -> None:
    client, transport, tally = _client(ClientSpec(1, "n", "#r", sample=True))
    client.data_received(b":srv 001 n :hi\r\n:srv 366 n #r :End\r\n")
    client.expect(3)
    assert tally.outstanding == 1
    data = _privmsg(2, 0, 1) + b"PING :x\r\n" + _privmsg(2, 1, 1) + _privmsg(3, 0, 1)
    cut = len(data) - 10
    client.data_received(data[:cut])
    assert client.received == 2
    assert not tally.all_received.is_set()
    client.data_received(data[cut:])
    assert client.received == 3
    assert tally.received == 3
    assert tally.outstanding == 0 and tally.all_received.is_set()
    assert len(tally.latencies_ns) == 3
    assert transport.written.endswith(b"PONG :x\r\n")


async def test_only_sample_clients_record_latency() -> None:
    client, _, tally = _client(ClientSpec(1, "n", "#r"))
    client.data_received(b":srv 001 n :hi\r\n:srv 366 n #r :End\r\n")
    client.expect(1)
    client.data_received(_privmsg(2, 0, 1))
    assert tally.received == 1
    assert tally.latencies_ns == []


async def test_burst_sends_all_stamped_messages_in_one_write() -> None:
    client, transport, tally = _client(ClientSpec(5, "n", "#r", sends=3))
    client.data_received(b":srv 001 n :hi\r\n:srv 366 n #r :End\r\n")
    transport.written = b""
    loop = asyncio.get_running_loop()
    client.schedule_sends(loop.time(), 32)
    await asyncio.sleep(0.01)
    lines = transport.written.split(b"\r\n")[:-1]
    assert len(lines) == 3 and tally.sent == 3
    assert all(line.startswith(b"PRIVMSG #r :5 ") for line in lines)
    assert [line.split(b" ")[3] for line in lines] == [b"0", b"1", b"2"]


async def test_slow_reader_pauses_and_notes_its_drop() -> None:
    client, transport, _ = _client(ClientSpec(9, "n", "#r", slow=True))
    client.data_received(b":srv 001 n :hi\r\n:srv 366 n #r :End\r\n")
    client.expect(-1)
    client.stop_reading_at(asyncio.get_running_loop().time(), probe_every_s=10)
    await asyncio.sleep(0.01)
    assert transport.paused
    assert transport.written.endswith(b"PING :probe\r\n")
    client.connection_lost(ConnectionResetError())
    assert client.drop_ns >= client.paused_ns > 0


async def test_sample_client_counts_duplicates() -> None:
    client, _, tally = _client(ClientSpec(1, "n", "#r", sample=True))
    client.data_received(b":srv 001 n :hi\r\n:srv 366 n #r :End\r\n")
    client.expect(3)
    client.data_received(_privmsg(2, 0, 1) + _privmsg(2, 0, 1) + _privmsg(2, 1, 1))
    assert tally.duplicates == 1


async def test_notes_when_the_watched_nick_quits() -> None:
    client, _, tally = _client(ClientSpec(1, "n", "#r"))
    tally.watch_nick = b"slow"
    client.data_received(b":slowpoke!u@h QUIT :bye\r\n")
    assert tally.quit_seen_ns == 0
    client.data_received(b":slow!u@h QUIT :SendQ exceeded\r\n")
    assert tally.quit_seen_ns > 0
