"""The network's secret for upload tokens (EXTJWT, :mod:`chatroom.server.tokens`).

Every process of the network signs its upload tokens with one secret, so a token one
process issued is accepted by whichever process receives the upload (the one serving
the web port with ``--workers``; any with ``--cluster``). The first process to start
draws it and stores it in Redis with ``SET NX`` (atomic: of two starting at once, one
wins and both read the winner's); it has no expiry, so it outlives any one process.
Who can read Redis can mint tokens: Redis is already trusted with the whole chat.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from chatroom.cluster.keys import STATE_TAG

if TYPE_CHECKING:
    from chatroom.server.server import Server

__all__ = ["TOKEN_SECRET", "network_secret", "share_token_secret"]

TOKEN_SECRET = f"{STATE_TAG}:upload-token-secret"


async def network_secret(client: Any) -> bytes:
    """The network's token secret (32 bytes), drawn here if no process has yet;
    raises the Redis client's errors."""
    await client.set(TOKEN_SECRET, secrets.token_hex(32), nx=True)
    stored = await client.get(TOKEN_SECRET)
    text = stored.decode() if isinstance(stored, bytes) else str(stored)
    return bytes.fromhex(text)


async def share_token_secret(client: Any, server: Server) -> None:
    """Make ``server`` sign and accept upload tokens with the network's secret, read
    with ``client`` (the bridge's); raises the Redis client's errors."""
    server.auth.upload_tokens.share_secret(await network_secret(client))
