"""Who may connect: the rules a new connection meets before it gets a session (the
server shutting down, TLS required, the server full, too many connections from one
address), and the count per address those rules rest on.

The count is taken from a connection's first byte: a WebSocket or HTTP handshake
holds a place as a session does, so one address cannot hold any number of unfinished
handshakes (issue 14).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatroom.server.addresses import is_loopback

if TYPE_CHECKING:
    from chatroom.server.config import Config

SHUTTING_DOWN = "Server shutting down"


def too_many(config: Config, per_address: dict[str, int], address: str) -> str | None:
    """Why one more connection from ``address`` is refused by ``max_per_address``."""
    limit = config.max_per_address
    if limit and per_address.get(address, 0) >= limit:
        return f"Too many connections from your address ({limit})"
    return None


def refusal(
    config: Config, per_address: dict[str, int], address: str, *, secure: bool, sessions: int
) -> str | None:
    """Why a connection becoming a session is refused, or None (the server's shutting
    down is the caller's to check first)."""
    if config.tls_required_remote and not secure and not is_loopback(address):
        return f"TLS is required: connect with TLS to port {config.tls_port}"
    if config.max_clients and sessions >= config.max_clients:
        return "The server is full, try again later"
    return too_many(config, per_address, address)


def count(per_address: dict[str, int], address: str) -> None:
    """One more connection from ``address``."""
    per_address[address] = per_address.get(address, 0) + 1


def uncount(per_address: dict[str, int], address: str) -> None:
    """One connection from ``address`` fewer (an address with none is forgotten)."""
    left = per_address.get(address, 1) - 1
    if left > 0:
        per_address[address] = left
    else:
        per_address.pop(address, None)
