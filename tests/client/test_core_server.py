"""The client core against the real server (a subprocess), as a UI would drive it."""

from __future__ import annotations

import asyncio
import signal

from chatroom.client.events import (
    ConnectFailed,
    ConnectionLost,
    ExitReason,
    MessageAdded,
    NickRequired,
    NickTaken,
    Registered,
    Stopped,
)
from chatroom.client.model import BufferKind, MessageKind
from support.client import Running, until
from support.irc_client import IrcClient
from support.ports import free_port
from support.server import RunningServer, ServerFactory
from support.timeouts import TIMEOUT


def texts(running: Running, buffer: str) -> list[str]:
    found = running.client.model.get(buffer)
    return [m.text for m in found.messages] if found is not None else []


async def test_two_clients_chat_with_unicode_and_see_own_lines_once(server: RunningServer) -> None:
    alice = await Running(server.port, "alice").ready()
    bob = await Running(server.port, "bob").ready()
    alice.client.submit("hello bob 😀 ünïcödé")
    await until(lambda: "hello bob 😀 ünïcödé" in texts(bob, "#lobby"))
    await until(lambda: "hello bob 😀 ünïcödé" in texts(alice, "#lobby"))
    own = [m for m in alice.client.model.get("#lobby").messages if m.own]  # type: ignore[union-attr]
    assert [m.text for m in own] == ["hello bob 😀 ünïcödé"]
    assert "echo-message" in alice.client.caps and "server-time" in alice.client.caps
    bob.client.submit("/me waves")
    await until(lambda: "waves" in texts(alice, "#lobby"))
    assert alice.client.model.get("#lobby").messages[-1].kind is MessageKind.ACTION  # type: ignore[union-attr]
    assert await bob.stop() is ExitReason.QUIT
    await until(lambda: "bob has left the chat (Quit: Leaving)" in texts(alice, "#lobby"))
    assert await alice.stop() is ExitReason.QUIT
    assert isinstance(alice.events[-1], Stopped)


async def test_private_chat_opens_buffers_on_both_sides(server: RunningServer) -> None:
    alice = await Running(server.port, "alice").ready()
    bob = await Running(server.port, "bob").ready()
    alice.client.submit("/msg bob psst")
    await until(lambda: "psst" in texts(bob, "alice"))
    chat = bob.client.model.get("alice")
    assert chat is not None and chat.kind is BufferKind.PRIVATE and chat.mentioned
    assert alice.client.model.active_buffer.name == "bob"
    alice.client.submit("and more")  # plain text now goes to the private chat
    await until(lambda: "and more" in texts(bob, "alice"))
    await bob.stop()
    await alice.stop()


async def test_taken_nick_becomes_name_underscore(server: RunningServer) -> None:
    first = await Running(server.port, "sam").ready()
    second = await Running(server.port, "sam").ready()
    assert second.client.nick == "sam_"
    assert second.of(NickTaken) == [NickTaken("sam", "sam_")]
    await second.stop()
    await first.stop()


async def test_nick_is_asked_for_and_checked(server: RunningServer) -> None:
    running = Running(server.port, nick=None)
    await running.event(NickRequired)
    running.client.provide_nick("two words")
    problem = await running.event(NickRequired, lambda e: e.problem is not None)
    assert "spaces" in (problem.problem or "")
    running.client.provide_nick("carol")
    await running.ready()
    assert running.of(Registered) == [Registered("carol", False)]
    await running.stop()


async def test_long_message_arrives_whole_in_several_lines(server: RunningServer) -> None:
    alice = await Running(server.port, "alice").ready()
    peer = IrcClient(server.port).register("peer")
    peer.join("#lobby")
    text = " ".join(f"wörd{i}-🙂" for i in range(150))  # about 1,800 bytes
    alice.client.submit(text)
    assert await alice.client.wait_echoed(TIMEOUT)  # every piece came back to us too
    received: list[str] = []

    def collect() -> bool:
        for line in peer.collect(0.05):
            if line.command == "PRIVMSG":
                received.append(line.params[1])
                raw = line.format()
                body = raw.split(" ", 1)[1] if raw.startswith("@") else raw
                assert len(body.encode()) + 2 <= 512  # relayed with our prefix, still fits
        # One draft/multiline message of concatenated parts, which the server sends
        # this peer (without the cap) as separate lines, the space at a cut kept.
        return " ".join(piece.strip() for piece in received) == text

    await until(collect, what="the whole long message")
    assert len(received) >= 4
    assert all(len(piece.encode()) <= alice.client.text_budget("#lobby") for piece in received)
    peer.close()
    await alice.stop()


async def test_commands_against_the_server(server: RunningServer) -> None:
    alice = await Running(server.port, "alice").ready()
    client = alice.client
    client.submit("/join #dev")
    await until(lambda: client.model.active_buffer.name == "#dev")
    client.submit("/topic Release on Friday")
    await until(lambda: client.model.get("#dev").topic == "Release on Friday")  # type: ignore[union-attr]
    client.submit("/names")
    await until(lambda: texts(alice, "#dev").count("1 person in #dev: @alice") == 2)
    client.submit("/list")
    listed = "  #dev (1 person): Release on Friday"
    await until(lambda: listed in texts(alice, "#dev"))
    client.submit("/nick alicia")
    await until(lambda: client.nick == "alicia")
    client.submit("/msg nobody hi")
    await until(lambda: "nobody: No such nick/channel" in texts(alice, "nobody"))
    client.submit("/switch 2")
    assert client.model.active_buffer.name == "#lobby"
    client.submit("/part #dev")
    await until(lambda: not client.model.get("#dev").joined)  # type: ignore[union-attr]
    client.submit("/help")
    assert texts(alice, "#lobby")[-1].startswith("Anything else you type")
    await alice.stop()


async def test_connection_refused_is_fatal_at_start() -> None:
    running = Running(free_port(), "alice")
    reason = await asyncio.wait_for(running.task, TIMEOUT)
    assert reason is ExitReason.CONNECT_FAILED and reason.exit_code == 1
    failed = running.of(ConnectFailed)
    assert len(failed) == 1 and failed[0].fatal and failed[0].reason == "connection refused"


async def test_reconnects_after_server_restart_and_rejoins(
    server_factory: ServerFactory,
) -> None:
    server = server_factory("--no-flood-control")
    alice = await Running(server.port, "alice").ready()
    alice.client.submit("/join #dev")
    await until(lambda: alice.client.model.active_buffer.name == "#dev")
    server.stop(signal.SIGTERM)
    lost = await alice.event(ConnectionLost)
    assert lost.reconnect_in is not None
    assert not alice.client.model.get("#dev").joined  # type: ignore[union-attr]
    alice.client.submit("while away")
    assert texts(alice, "#dev")[-1] == "Not connected to the server: not sent."
    server_factory("--no-flood-control", port=server.port)
    await alice.event(Registered, lambda e: e.reconnected)
    await alice.ready()
    for room in ("#lobby", "#dev"):
        assert alice.client.model.get(room).joined  # type: ignore[union-attr]
    assert alice.client.model.active_buffer.name == "#dev"  # the view did not jump
    assert alice.client.nick == "alice"
    await alice.stop()


async def test_no_reconnect_stops_with_connection_lost(server_factory: ServerFactory) -> None:
    server = server_factory("--no-flood-control")
    alice = await Running(server.port, "alice", reconnect=False).ready()
    server.stop(signal.SIGTERM)
    reason = await asyncio.wait_for(alice.task, TIMEOUT)
    assert reason is ExitReason.CONNECTION_LOST
    assert alice.of(ConnectionLost)[0].reconnect_in is None


async def test_a_silent_server_is_detected_by_ping_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b":srv 001 alice :Welcome alice!a@h\r\n:srv 422 alice :No MOTD\r\n")
        await reader.read()  # then says nothing, ever

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    running = Running(port, "alice", reconnect=False, idle_ping=0.2, ping_timeout=0.3)
    try:
        assert await asyncio.wait_for(running.task, TIMEOUT) is ExitReason.CONNECTION_LOST
    finally:
        listener.close()
    assert "no answer" in running.of(ConnectionLost)[0].reason


async def test_server_refusal_before_registration_is_reported() -> None:
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"ERROR :Closing Link: 127.0.0.1 (The server is full)\r\n")
        writer.close()

    listener = await asyncio.start_server(refuse, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    running = Running(port, "alice")
    try:
        assert await asyncio.wait_for(running.task, TIMEOUT) is ExitReason.REJECTED
    finally:
        listener.close()
    stopped = running.of(Stopped)[0]
    assert "The server is full" in stopped.detail


async def test_without_echo_message_own_lines_are_added_locally(server: RunningServer) -> None:
    alice = await Running(server.port, "alice", caps=("server-time",)).ready()
    alice.client.submit("local echo")
    lobby = alice.client.model.get("#lobby")
    assert lobby is not None and lobby.messages[-1].own and lobby.messages[-1].text == "local echo"
    added = [e for e in alice.of(MessageAdded) if e.message.text == "local echo"]
    assert len(added) == 1
    await alice.stop()
