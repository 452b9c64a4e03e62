"""TLS clients for tests: where the server listens for TLS, a connection that trusts a
given certificate (or any), and reading lines from it until a command arrives."""

from __future__ import annotations

import re
import socket
import ssl
import time
from pathlib import Path

import irctokens

from support.timeouts import TIMEOUT


def tls_port(log: str) -> int:
    match = re.search(r"Listening for TLS at 127\.0\.0\.1:(\d+)", log)
    assert match, log
    return int(match.group(1))


def tls_connect(port: int, cafile: Path | None = None) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    if cafile is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return context.wrap_socket(raw, server_hostname="localhost")


def read_until(sock: ssl.SSLSocket, command: str) -> list[irctokens.Line]:
    decoder = irctokens.StatefulDecoder()
    lines: list[irctokens.Line] = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        data = sock.recv(65536)
        assert data, "connection closed"
        lines += decoder.push(data) or []
        if any(line.command == command for line in lines):
            return lines
    raise AssertionError(f"no {command}: {lines}")
