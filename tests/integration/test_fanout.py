"""Many clients in one room: every message arrives exactly once at every other
member, in order per sender (the tutorial relayed with recv(1024) and lost framing)."""

from __future__ import annotations

import selectors
import socket
import time
from collections import defaultdict

import irctokens

from support.server import ServerFactory
from support.timeouts import TIMEOUT

CLIENTS = 40
SENDERS = 5
MESSAGES = 60


def test_every_message_once_in_order(server_factory: ServerFactory) -> None:
    server = server_factory("--no-flood-control", config="[limits]\nmax_per_address = 0\n")
    socks = []
    for i in range(CLIENTS):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(f"NICK n{i}\r\nUSER n 0 * :n\r\nJOIN #fan\r\n".encode())
        socks.append(s)
    decoders = [irctokens.StatefulDecoder() for _ in socks]
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
    joined = [0] * CLIENTS
    received: list[dict[str, list[int]]] = [defaultdict(list) for _ in socks]

    def pump(until: float) -> None:
        while time.monotonic() < until:
            events = sel.select(0.05)
            if not events:
                if done():
                    return
                continue
            for key, _ in events:
                i = key.data
                data = socks[i].recv(1 << 16)
                assert data, f"client {i} was disconnected"
                for line in decoders[i].push(data) or []:
                    if line.command == "JOIN":
                        joined[i] += 1
                    elif line.command == "PRIVMSG":
                        sender, seq = line.params[1].split(":")
                        received[i][sender].append(int(seq))

    def done() -> bool:
        return all(sum(len(v) for v in received[i].values()) == expected(i) for i in range(CLIENTS))

    def expected(i: int) -> int:
        return (SENDERS - (1 if i < SENDERS else 0)) * MESSAGES

    # Wait until everyone has seen everyone join (the last joiner sees only itself + NAMES).
    deadline = time.monotonic() + TIMEOUT
    while joined[0] < CLIENTS and time.monotonic() < deadline:
        pump(time.monotonic() + 0.1)
    assert joined[0] == CLIENTS
    for seq in range(MESSAGES):
        for s in range(SENDERS):
            socks[s].sendall(f"PRIVMSG #fan :n{s}:{seq}\r\n".encode())
    pump(time.monotonic() + 3 * TIMEOUT)
    for i in range(CLIENTS):
        for s in range(SENDERS):
            if s == i:
                assert f"n{s}" not in received[i]  # no echo without echo-message
            else:
                assert received[i][f"n{s}"] == list(range(MESSAGES)), (i, s)
    for s in socks:
        s.close()
