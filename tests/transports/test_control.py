"""The control socket: mode 0600, answers only the server's own user, and the
command line talks only to a socket its own user owns."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatroom.transports.control import ControlError, ask, serve_control

NOBODY = 65534


async def echo(request: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "got": request}


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory another user can enter (a Unix socket path must also be short)."""
    with tempfile.TemporaryDirectory(prefix="ctl-") as name:
        os.chmod(name, 0o711)
        yield Path(name)


async def test_a_request_and_its_answer(short_dir: Path) -> None:
    path = short_dir / "control.sock"
    server = await serve_control(path, echo)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        answer = await asyncio.to_thread(ask, path, {"command": "status"})
        assert answer == {"ok": True, "got": {"command": "status"}}
    finally:
        server.close()


async def test_a_line_that_is_not_a_json_object_is_answered(short_dir: Path) -> None:
    path = short_dir / "control.sock"
    server = await serve_control(path, echo)

    def raw(data: bytes) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(str(path))
            sock.sendall(data)
            return json.loads(sock.makefile("rb").readline())  # type: ignore[no-any-return]

    try:
        for data in (b"status\n", b"[1, 2]\n", b"\xff\n"):
            answer = await asyncio.to_thread(raw, data)
            assert answer == {"ok": False, "error": "a request is one JSON object on one line"}
    finally:
        server.close()


async def test_another_users_connection_is_refused(short_dir: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to connect as another user")
    path = short_dir / "control.sock"
    server = await serve_control(path, echo)
    os.chmod(path, 0o666)  # opened up by mistake: the peer check still holds
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: another user, connecting
        try:
            os.setuid(NOBODY)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(10)
                sock.connect(str(path))
                sock.sendall(b'{"command": "status"}\n')
                os.write(write_end, sock.makefile("rb").readline() or b"(end of stream)")
        except BaseException as exc:  # said, so that a failure shows why
            os.write(write_end, f"the child failed: {exc!r}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            answer = await asyncio.to_thread(pipe.read)
        await asyncio.to_thread(os.waitpid, pid, 0)
    finally:
        server.close()
    assert answer.startswith(b"{"), answer
    assert json.loads(answer) == {"ok": False, "error": "refused: not the server's user"}


def test_a_socket_owned_by_another_user_is_not_talked_to(short_dir: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user")
    path = short_dir / "control.sock"
    with socket.socket(socket.AF_UNIX) as planted:
        planted.bind(str(path))
        planted.listen()
        os.chown(path, NOBODY, NOBODY)
        with pytest.raises(ControlError, match="belongs to user id 65534"):
            ask(path, {"command": "kick", "nick": "alice"})
        planted.setblocking(False)
        with pytest.raises(BlockingIOError):
            planted.accept()  # nothing was sent: no connection at all


def test_no_server_and_not_a_socket(short_dir: Path) -> None:
    with pytest.raises(ControlError, match="no server is running"):
        ask(short_dir / "control.sock", {"command": "status"})
    (short_dir / "control.sock").write_text("")
    with pytest.raises(ControlError, match="is not a socket"):
        ask(short_dir / "control.sock", {"command": "status"})


async def test_a_stale_socket_is_replaced_a_live_one_is_not(short_dir: Path) -> None:
    path = short_dir / "control.sock"
    with socket.socket(socket.AF_UNIX) as stale:
        stale.bind(str(path))  # bound, never listening: what a killed server leaves
    server = await serve_control(path, echo)
    try:
        with pytest.raises(ControlError, match="another server answers"):
            await serve_control(path, echo)
    finally:
        server.close()
