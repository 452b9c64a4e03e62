"""The control socket: ``chatroom status``, ``reload``, ``kick`` and ``ban`` talk to
the running server through a Unix socket in its data directory, never a network port.

Who may talk to it, checked at both ends:

- the socket file is made with mode 0600 (the server's user only);
- the server asks the kernel who connected (``SO_PEERCRED``) and answers only its
  own user: a socket opened up by mistake still refuses everyone else;
- the command line talks only to a socket file its own user owns, so another
  user's socket planted at the path is never sent a request.

The wire form: one JSON object per line each way, one request per connection::

    > {"command": "kick", "nick": "spammer", "room": "#lobby"}
    < {"ok": true, "message": "spammer kicked from #lobby"}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import stat
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from chatroom.errors import ChatroomError

log = logging.getLogger("chatroom.server")

SOCKET_NAME = "control.sock"
MAX_REQUEST = 65536
"""Bytes of one request line; a longer one is answered with an error."""
TIMEOUT = 10.0
"""Seconds either side waits for the other's line."""

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class ControlError(ChatroomError):
    """The control socket cannot be used; ``str()`` says why and what to do."""


def peer_uid(sock: socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket (Linux)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


async def serve_control(path: Path, handle: Handler) -> asyncio.Server:
    """Listen at ``path`` (mode 0600) and answer each request with ``handle``.

    A stale socket file of an earlier run is replaced; a live one (another server
    answers there) raises :class:`ControlError`, as does a path too long for a
    Unix socket.
    """
    if len(os.fsencode(path)) >= 108:
        raise ControlError(f"the path {path} is too long for a Unix socket")
    if path.exists() or path.is_symlink():
        if _answers(path):
            raise ControlError(f"another server answers at {path}")
        path.unlink()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _answer(reader, writer, handle)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    old = os.umask(0o177)  # born 0600: no moment where another user could connect
    try:
        server = await asyncio.start_unix_server(on_connect, path, limit=MAX_REQUEST)
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    return server


async def _answer(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handle: Handler
) -> None:
    sock = writer.get_extra_info("socket")
    uid = peer_uid(sock) if sock is not None else -1
    if uid != os.geteuid():
        log.warning("Refused a control connection from user id %d", uid)
        reply: dict[str, Any] = {"ok": False, "error": "refused: not the server's user"}
    else:
        try:
            raw = await asyncio.wait_for(reader.readline(), TIMEOUT)
            request = json.loads(raw)
        except (ValueError, asyncio.LimitOverrunError, TimeoutError):
            request = None
        if isinstance(request, dict):
            reply = await handle(request)
        else:
            reply = {"ok": False, "error": "a request is one JSON object on one line"}
    writer.write(json.dumps(reply).encode() + b"\n")
    with contextlib.suppress(OSError):
        await writer.drain()


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
        return True


def ask(path: Path, request: dict[str, Any], timeout: float = TIMEOUT) -> dict[str, Any]:
    """Send ``request`` to the server at ``path``; its answer.

    Raises :class:`ControlError` if no server listens there, or the socket belongs
    to another user (nothing is sent to it then).
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise ControlError(
            f"no server is running with this data directory (no {path}); "
            "give the server's --data-dir or --config"
        ) from None
    if not stat.S_ISSOCK(info.st_mode):
        raise ControlError(f"{path} is not a socket")
    if info.st_uid != os.geteuid():
        raise ControlError(
            f"{path} belongs to user id {info.st_uid}, not to you ({os.geteuid()}): "
            "refusing to talk to it; run this as the server's user (sudo -u USER ...)"
        )
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
            sock.sendall(json.dumps(request).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError as exc:
            raise ControlError(f"cannot talk to the server at {path}: {exc}") from None
    try:
        answer = json.loads(data)
    except ValueError:
        raise ControlError(f"the server at {path} gave no answer") from None
    if not isinstance(answer, dict):
        raise ControlError(f"the server at {path} gave no answer")
    return answer
