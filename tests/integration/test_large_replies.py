"""Large replies over real sockets (issue 14, items 6 and 7): a LIST bigger than the
SendQ reaches a client with a small receive buffer that reads slowly, and many
``WHO *`` from several clients do not keep the server from answering a PING."""

from __future__ import annotations

import socket
import time

from websockets.sync.client import connect
from websockets.typing import Subprotocol

from support.irc_client import IrcClient
from support.server import RunningServer, ServerFactory
from support.timeouts import TIMEOUT

CHANNELS = 2000
TOPIC = "t" * 300


def many_channels(server_factory: ServerFactory) -> tuple[RunningServer, IrcClient]:
    """A server with 2,000 channels with long topics: about 700 KB of LIST, for a SendQ
    of 256 KB (the issue's 10,000 channels for 1 MB, scaled down); and their owner, who
    must stay connected for them to stay."""
    server = server_factory(
        "--no-flood-control", config="[limits]\nsendq = 262144\nmax_channels = 5000\n"
    )
    owner = IrcClient(server.port).register("owner")
    names = [f"#room{i}" for i in range(CHANNELS)]
    for i in range(0, CHANNELS, 40):
        owner.send("JOIN " + ",".join(names[i : i + 40]))
    for i in range(0, CHANNELS, 200):  # reading the echoes as we go
        owner.send_raw(
            "".join(f"TOPIC {name} :{TOPIC}\r\n" for name in names[i : i + 200]).encode()
        )
        owner.send(f"PING :ready{i}")
        owner.expect("PONG", lambda line, i=i: line.params[-1] == f"ready{i}")
        owner.backlog.clear()
    return server, owner


def test_a_list_bigger_than_the_sendq_reaches_a_slow_small_buffered_reader(
    server_factory: ServerFactory,
) -> None:
    server, _owner = many_channels(server_factory)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(TIMEOUT)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(b"NICK reader\r\nUSER r 0 * :r\r\nLIST\r\n")
    time.sleep(0.5)  # let the server queue what it would queue
    data = b""
    while b" 323 reader " not in data and b"ERROR" not in data:
        chunk = sock.recv(2048)
        if not chunk:
            break
        data += chunk
        time.sleep(0.0005)
    sock.close()
    assert b"SendQ exceeded" not in data and b" 323 reader " in data
    assert data.count(b" 322 reader #room") == CHANNELS


def test_the_same_list_reaches_a_slow_websocket_reader(server_factory: ServerFactory) -> None:
    """The WebSocket transport passes the same flow control on to the session."""
    server, _owner = many_channels(server_factory)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(TIMEOUT)
    sock.connect(("127.0.0.1", server.web_port))
    # max_queue: the client library stops reading the socket after 4 unread messages.
    with connect(
        f"ws://127.0.0.1:{server.web_port}/ws",
        sock=sock,
        subprotocols=[Subprotocol("text.ircv3.net")],
        max_queue=4,
    ) as ws:
        for line in ("NICK reader", "USER r 0 * :r", "LIST"):
            ws.send(line)
        time.sleep(0.5)  # let the server queue what it would queue
        rows = 0
        while True:
            message = str(ws.recv(timeout=TIMEOUT))
            assert not message.startswith("ERROR"), message
            rows += " 322 reader #room" in message
            if " 323 reader " in message:
                break
            time.sleep(0.0002)
    assert rows == CHANNELS
    assert "SendQ exceeded" not in server.log


def test_many_who_star_leave_the_server_answering_pings(server_factory: ServerFactory) -> None:
    server = server_factory(config="[limits]\nmax_per_address = 1000\n")  # flood control on
    users = [IrcClient(server.port).register(f"user{i}") for i in range(150)]
    watcher = users[0]
    attackers = users[1:9]
    for attacker in attackers:
        attacker.send_raw(b"WHO *\r\n" * 40)
    for _ in range(3):
        watcher.send("PING :alive")
        watcher.expect("PONG", lambda line: line.params[-1] == "alive", timeout=TIMEOUT)
        time.sleep(0.3)
    for attacker in attackers:
        attacker.close()
    assert "Traceback" not in server.log
