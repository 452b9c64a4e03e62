"""Free TCP ports on 127.0.0.1, for servers a test starts on a port it must know first."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nobody listens on (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
