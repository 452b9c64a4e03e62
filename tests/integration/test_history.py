"""History over real sockets and a real SQLite file: CHATHISTORY, restarts, kill -9,
who may read what, retention, purge, and a full disk."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import irctokens
import pytest

from support.irc_client import IrcClient
from support.server import RunningServer, ServerFactory
from support.timeouts import TIMEOUT

CAPS = "batch server-time message-tags draft/chathistory"


def history(client: IrcClient, *args: str) -> list[irctokens.Line]:
    """Run CHATHISTORY and return the messages of its batch (checks the framing)."""
    client.send("CHATHISTORY " + " ".join(args))
    start = client.expect("BATCH", lambda line: line.params[0].startswith("+"))
    assert start.params[1] == "chathistory"
    ref = start.params[0][1:]
    lines = client.until("BATCH", lambda line: line.params == [f"-{ref}"])[:-1]
    assert all(line.tags and line.tags.get("batch") == ref for line in lines)
    return lines


def texts(lines: list[irctokens.Line]) -> list[str]:
    return [line.params[1] for line in lines]


def data_dir_server(
    factory: ServerFactory, data: Path, *flags: str, config: str = ""
) -> RunningServer:
    return factory("--no-flood-control", "--data-dir", str(data), *flags, config=config or None)


def test_latest_replays_with_original_ids_and_times(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice", CAPS)
    b = IrcClient(server.port).register("bob", CAPS)
    a.join("#h")
    b.join("#h")
    live = []
    for i in range(5):
        a.send(f"PRIVMSG #h :message {i} ✓")
        live.append(b.expect("PRIVMSG"))
    replay = history(b, "LATEST", "#h", "*", "3")
    assert texts(replay) == ["message 2 ✓", "message 3 ✓", "message 4 ✓"]
    for old, new in zip(live[2:], replay, strict=True):
        assert old.tags and new.tags
        assert (old.tags["msgid"], old.tags["time"]) == (new.tags["msgid"], new.tags["time"])
        assert new.source == old.source
    middle = live[2].tags["msgid"]  # type: ignore[index]
    assert texts(history(b, "BEFORE", "#h", f"msgid={middle}", "10")) == [
        "message 0 ✓",
        "message 1 ✓",
    ]
    assert texts(history(b, "AFTER", "#h", f"msgid={middle}", "1")) == ["message 3 ✓"]
    assert texts(history(b, "AROUND", "#h", f"msgid={middle}", "3")) == [
        "message 1 ✓",
        "message 2 ✓",
        "message 3 ✓",
    ]
    first, last = live[0].tags["msgid"], live[4].tags["msgid"]  # type: ignore[index]
    assert len(history(b, "BETWEEN", "#h", f"msgid={first}", f"msgid={last}", "10")) == 3
    b.send("VERSION")
    b.expect("351")
    tokens = [p for line in (b.expect("005"), b.expect("005")) for p in line.params]
    assert "CHATHISTORY=100" in tokens and "MSGREFTYPES=msgid,timestamp" in tokens


def test_bad_requests_get_fail(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice", CAPS)
    a.join("#h")
    a.send("CHATHISTORY SIDEWAYS #h * 10")
    assert a.expect("FAIL").params[:2] == ["CHATHISTORY", "INVALID_PARAMS"]
    a.send("CHATHISTORY LATEST #h * lots")
    assert a.expect("FAIL").params[:2] == ["CHATHISTORY", "INVALID_PARAMS"]
    a.send("CHATHISTORY BEFORE #h timestamp=yesterday 10")
    assert a.expect("FAIL").params[:2] == ["CHATHISTORY", "INVALID_PARAMS"]
    a.send("CHATHISTORY BEFORE #h msgid=doesnotexist 10")
    assert a.expect("FAIL").params[:3] == ["CHATHISTORY", "INVALID_PARAMS", "BEFORE"]


def test_only_members_read_a_channel(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice", CAPS)
    a.join("#secret")
    a.send("MODE #secret +si")
    a.expect("MODE")
    a.send("PRIVMSG #secret :the plan")
    a.send("PING sync")
    a.expect("PONG")
    spy = IrcClient(server.port).register("spy", CAPS)

    def refused() -> list[str]:
        spy.send("CHATHISTORY LATEST #secret * 50")
        return spy.expect("FAIL").params[:4]

    # The draft's answer, the same as for a channel that does not exist.
    assert refused() == ["CHATHISTORY", "INVALID_TARGET", "LATEST", "#secret"]
    spy.send("JOIN #secret")
    spy.expect("473")
    assert refused() == ["CHATHISTORY", "INVALID_TARGET", "LATEST", "#secret"]
    assert texts(history(a, "LATEST", "#secret", "*", "50")) == ["the plan"]


def test_private_history_only_for_the_two_parties(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice", CAPS)
    b = IrcClient(server.port).register("bob", CAPS)
    c = IrcClient(server.port).register("carol", CAPS)
    a.send("PRIVMSG bob :just between us")
    b.expect("PRIVMSG")
    b.send("PRIVMSG alice :indeed")
    a.expect("PRIVMSG")
    assert texts(history(a, "LATEST", "bob", "*", "10")) == ["just between us", "indeed"]
    assert texts(history(b, "LATEST", "alice", "*", "10")) == ["just between us", "indeed"]
    assert history(c, "LATEST", "alice", "*", "10") == []
    assert history(c, "LATEST", "bob", "*", "10") == []
    # Someone who takes bob's nick later cannot read what was said to bob.
    b.send("QUIT")
    assert b.closed()
    mallory = IrcClient(server.port).register("bob", CAPS)
    assert history(mallory, "LATEST", "alice", "*", "10") == []


def test_targets_lists_conversations(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice", CAPS)
    b = IrcClient(server.port).register("bob", CAPS)
    a.join("#t1")
    a.send("PRIVMSG #t1 :in t1")
    a.send("PRIVMSG bob :hi bob")
    b.expect("PRIVMSG")
    a.send(
        "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z "
        "timestamp=2100-01-01T00:00:00.000Z 10"
    )
    start = a.expect("BATCH")
    assert start.params[1] == "draft/chathistory-targets"
    found = [line.params[1] for line in a.until("BATCH") if line.command == "CHATHISTORY"]
    assert sorted(found) == ["#t1", "bob"]


def test_history_survives_a_restart(server_factory: ServerFactory, tmp_path: Path) -> None:
    data = tmp_path / "keep"
    server = data_dir_server(server_factory, data)
    a = IrcClient(server.port).register("alice", CAPS)
    a.join("#lobby")
    for i in range(3):
        a.send(f"PRIVMSG #lobby :before restart {i}")
    a.send("PING sync")
    a.expect("PONG")
    assert server.stop(signal.SIGTERM) == 0
    again = data_dir_server(server_factory, data)
    b = IrcClient(again.port).register("bob", CAPS)
    b.join("#lobby")
    assert texts(history(b, "LATEST", "#lobby", "*", "10")) == [
        f"before restart {i}" for i in range(3)
    ]


def test_kill_9_loses_nothing_any_client_received(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    """Promise: kill -9 at any moment during heavy traffic; after restart every message
    any client received is in history exactly once, in order per room."""
    data = tmp_path / "crash"
    server = data_dir_server(server_factory, data, config="[limits]\nmax_per_address = 0\n")
    rooms = ["#r1", "#r2"]
    senders = 6
    socks = []
    for i in range(senders):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(f"NICK s{i}\r\nUSER s 0 * :s\r\nJOIN {rooms[i % 2]}\r\n".encode())
        socks.append(s)
    listeners = [IrcClient(server.port).register(f"l{r}", CAPS) for r in range(2)]
    for room, listener in zip(rooms, listeners, strict=True):
        listener.join(room)
    time.sleep(0.3)
    # Senders blast messages from a child process so the test can keep reading.
    blaster = subprocess.Popen([sys.executable, "-c", BLAST, str(server.port)])
    received: dict[str, list[str]] = defaultdict(list)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        for room, listener in zip(rooms, listeners, strict=True):
            for line in listener.collect(0.02):
                if line.command == "PRIVMSG" and line.tags:
                    received[room].append(line.tags["msgid"])
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(TIMEOUT)
    for room, listener in zip(rooms, listeners, strict=True):
        for line in listener.collect(0.3):
            if line.command == "PRIVMSG" and line.tags:
                received[room].append(line.tags["msgid"])
    blaster.kill()
    blaster.wait()
    assert sum(len(v) for v in received.values()) > 50, "not enough traffic: " + server.log[-3000:]
    again = data_dir_server(server_factory, data, config="[history]\nquery_limit = 10000\n")
    for room in rooms:
        reader = IrcClient(again.port).register(f"reader{room[1:]}", CAPS)
        reader.join(room)
        stored = [
            line.tags["msgid"]
            for line in history(reader, "LATEST", room, "*", "10000")
            if line.tags
        ]
        assert len(stored) == len(set(stored)), "a message was stored twice"
        positions = [stored.index(m) for m in received[room] if m in stored]
        assert len(positions) == len(received[room]), "a received message is missing"
        assert positions == sorted(positions), "history order differs from delivery order"
    for s in socks:
        s.close()


BLAST = """
import socket, sys, time
port = int(sys.argv[1])
socks = []
for i in range(4):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"NICK b{i}\\r\\nUSER b 0 * :b\\r\\nJOIN #r1,#r2\\r\\n".encode())
    socks.append(s)
time.sleep(0.3)
n = 0
end = time.monotonic() + 20
while time.monotonic() < end:  # about 4 x 1000 messages a second: heavy, but readable
    time.sleep(0.001)
    for i, s in enumerate(socks):
        room = "#r1" if (n + i) % 2 else "#r2"
        try:
            s.sendall(f"PRIVMSG {room} :blast {i} {n}\\r\\n".encode())
        except OSError:
            sys.exit(0)
    n += 1
"""


def test_retention_keeps_the_newest(server_factory: ServerFactory, tmp_path: Path) -> None:
    data = tmp_path / "ret"
    server = data_dir_server(server_factory, data)
    a = IrcClient(server.port).register("alice", CAPS)
    a.join("#lobby")
    for i in range(6):
        a.send(f"PRIVMSG #lobby :m{i}")
    a.send("PING sync")
    a.expect("PONG")
    server.stop()
    again = data_dir_server(server_factory, data, config="[history]\nmax_per_room = 2\n")
    b = IrcClient(again.port).register("bob", CAPS)
    b.join("#lobby")
    # Four messages; and one channel event too if bob's JOIN was stored first (the count
    # rule keeps two messages and, apart, two events: alice's JOIN and QUIT).
    again.wait_for_log(r"retention deleted [45] message")
    assert texts(history(b, "LATEST", "#lobby", "*", "10")) == ["m4", "m5"]


def test_operator_purges_a_room(server_factory: ServerFactory) -> None:
    from chatroom.storage.passwords import hash_password

    server = server_factory(
        "--no-flood-control",
        config=f'[[operators]]\nname = "op"\npassword = "{hash_password("pw")}"\n',
    )
    a = IrcClient(server.port).register("alice", CAPS)
    a.join("#gone")
    a.send("PRIVMSG #gone :soon forgotten")
    a.send("PURGE #gone")
    a.expect("481")
    a.send("OPER op pw")
    a.expect("381")
    a.send("PURGE #gone")
    note = a.expect("NOTE")
    assert note.params[:3] == ["PURGE", "DONE", "#gone"]
    assert history(a, "LATEST", "#gone", "*", "10") == []


def test_history_off_means_no_cap_and_421(server_factory: ServerFactory) -> None:
    server = server_factory("--no-history")
    a = IrcClient(server.port)
    a.send("CAP LS 302")
    assert "draft/chathistory" not in a.expect("CAP").params[-1]
    a.send("CAP END")
    a.register("alice")
    a.send("CHATHISTORY LATEST #lobby * 10")
    a.expect("421")


def test_a_full_disk_refuses_messages_and_loses_none_anyone_received(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    mount = tmp_path / "tiny"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root): " + result.stderr.decode())
    try:
        server = data_dir_server(server_factory, mount, "--no-web")
        caps = f"{CAPS} echo-message standard-replies"
        a = IrcClient(server.port).register("alice", caps)
        b = IrcClient(server.port).register("bob", CAPS)
        a.join("#full")
        b.join("#full")
        received: list[irctokens.Line] = []  # everything bob was sent

        def answer(client: IrcClient) -> irctokens.Line:
            """alice's answer to one message: its echo, or a FAIL saying it was not sent."""
            line = client.until_any(("PRIVMSG", "FAIL"))[0]
            if line.command == "FAIL":
                assert line.params[:3] == ["PRIVMSG", "TEMPORARILY_UNAVAILABLE", "#full"]
            return line

        a.send("PRIVMSG #full :stored before the disk filled")
        assert answer(a).command == "PRIVMSG"
        received.append(b.expect("PRIVMSG"))
        filler = mount / "filler"
        with open(filler, "wb", buffering=0) as handle:  # unbuffered: close cannot fail
            try:
                while True:
                    handle.write(b"\0" * 65536)
            except OSError:
                pass
        # Leave room for a few dozen messages, so the disk fills up while they stream in.
        os.truncate(filler, filler.stat().st_size - 256 * 1024)
        text = "x" * 400
        count = 1500  # 600 KB and more: far past what is left
        answers: list[irctokens.Line] = []
        for start in range(0, count, 100):  # in bursts, so that no queue overflows
            for i in range(start, start + 100):
                a.send(f"PRIVMSG #full :{i} {text}")
            answers += [answer(a) for _ in range(100)]
        echoed = [line for line in answers if line.command == "PRIVMSG"]
        assert len(echoed) < count, "the disk never filled up"
        # bob got exactly what alice saw echoed, nothing that was refused.
        received += [b.expect("PRIVMSG") for _ in echoed]
        assert [line.tags["msgid"] for line in received[1:]] == [  # type: ignore[index]
            line.tags["msgid"]
            for line in echoed  # type: ignore[index]
        ]
        b.send("PING :sync")
        assert b.until("PONG")[:-1] == [], "bob got a message nobody was told was sent"
        server.wait_for_log("new messages are refused")
        assert "disk is full" in server.log and "Traceback" not in server.log

        # Everything else still works meanwhile.
        a.send("TOPIC #full :still answering")
        a.expect("TOPIC")
        b.expect("TOPIC")
        newest = history(b, "LATEST", "#full", "*", "1")
        assert [line.tags["msgid"] for line in newest] == [  # type: ignore[index]
            received[-1].tags["msgid"]  # type: ignore[index]
        ]

        filler.unlink()  # space comes back: the server notices on its own
        server.wait_for_log("works again")
        a.send("PRIVMSG #full :after the disk was freed")
        assert answer(a).command == "PRIVMSG"
        received.append(b.expect("PRIVMSG"))

        # The promise: every message any client received is in history, once.
        page = stored = history(b, "AFTER", "#full", "timestamp=2000-01-01T00:00:00.000Z", "100")
        while len(page) == 100:
            last = page[-1].tags["msgid"]  # type: ignore[index]
            page = history(b, "AFTER", "#full", f"msgid={last}", "100")
            stored = stored + page
        stored_ids = [line.tags["msgid"] for line in stored]  # type: ignore[index]
        assert stored_ids == [line.tags["msgid"] for line in received]  # type: ignore[index]
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_taking_a_nick_does_not_reveal_its_private_history(server: RunningServer) -> None:
    caps = "batch server-time message-tags draft/chathistory"
    mallory = IrcClient(server.port).register("mallory", caps)
    alice = IrcClient(server.port).register("alicex")
    bob = IrcClient(server.port).register("bobx")
    alice.send("PRIVMSG bobx :a secret")
    bob.expect("PRIVMSG")
    bob.send("QUIT")
    assert bob.closed()
    mallory.send("NICK bobx")
    mallory.expect("NICK")
    mallory.send("CHATHISTORY LATEST alicex * 50")
    start = mallory.expect("BATCH")
    lines = mallory.until("BATCH")
    assert [line.command for line in lines] == ["BATCH"], lines
    assert start.params[1] == "chathistory"
