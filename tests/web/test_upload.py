"""Uploads over a real socket on the web port (soju.im/filehost): POST, the link,
viewing it from another client, every refusal, and the port's other uses intact."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from websockets.asyncio.client import connect

from chatroom.server.tokens import LIFETIME
from chatroom.transports.websocket import IrcOverWebSocket
from chatroom.web.filehost import Uploads, uploads_for
from chatroom.web.files import FILE_CSP, FileLimits, FileStore
from chatroom.web.listener import WebListener
from chatroom.web.upload import parse_head, takes
from support.core import FakeClient, Harness

PASSWORD = "correct horse"


class Web:
    def __init__(self, harness: Harness, listener: WebListener, files: FileStore) -> None:
        self.harness = harness
        self.listener = listener
        self.files = files
        self.port = listener.addresses[0][1]

    async def http(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.lower()] = value.strip()
        return int(lines[0].split()[1]), headers, body

    async def post(
        self, body: bytes, user: str = "alice", password: str = PASSWORD, **extra: str
    ) -> tuple[int, dict[str, str], bytes]:
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Authorization": f"Basic {auth}",
            "Content-Length": str(len(body)),
            "Content-Disposition": 'attachment; filename="shot.png"',
            **extra,
        }
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if v)
        return await self.http(f"POST /upload HTTP/1.1\r\n{head}\r\n".encode() + body)

    async def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        return await self.http(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Web]:
    harness = Harness()
    assert harness.accounts is not None
    await harness.accounts.register("alice", PASSWORD)
    harness.server.config = replace(harness.server.config, files_guests=True)
    files = FileStore(tmp_path, FileLimits(max_size=1000, quota=3000, per_minute=5))
    tokens = harness.server.auth.upload_tokens
    uploads = Uploads(files, harness.accounts, tokens=tokens, guests=True)
    listener = WebListener(harness.server, IrcOverWebSocket(), uploads=uploads)
    await listener.start("127.0.0.1", 0)
    yield Web(harness, listener, files)
    listener.close()
    harness.server.shutdown()
    await listener.wait_closed(2)
    await harness.close()


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (0, 0, 255)).save(out, "PNG")
    return out.getvalue()


async def test_upload_then_view_from_another_client(web: Web) -> None:
    status, headers, body = await web.post(small_png())
    assert status == 201
    url = headers["location"]
    assert url.startswith(f"http://127.0.0.1:{web.port}/files/") and body.strip() == url.encode()
    path = url.split(str(web.port), 1)[1]
    status, headers, body = await web.get(path)
    assert status == 200 and body == small_png()
    assert headers["content-type"] == "image/png"
    assert headers["content-disposition"] == 'inline; filename="shot.png"'
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == FILE_CSP
    status, headers, body = await web.get(path + "/thumb")
    assert status == 200 and body.startswith(b"\x89PNG")
    status, headers, body = await web.get(path, "HEAD")
    assert status == 200 and body == b"" and headers["content-length"] == str(len(small_png()))


async def test_a_script_is_served_as_an_attachment(web: Web) -> None:
    status, headers, _ = await web.post(b"<html><script>alert(1)</script>")
    path = headers["location"].split(str(web.port), 1)[1]
    status, headers, _ = await web.get(path)
    assert status == 200
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in headers["content-security-policy"]


async def test_refusals(web: Web) -> None:
    assert (await web.post(b"x", password="wrong horse"))[0] == 401
    assert (await web.post(b"x", user="nobody"))[0] == 401
    status, headers, _ = await web.post(b"x", Authorization="")
    assert status == 401 and headers["www-authenticate"].startswith("Basic")
    assert (await web.post(b"x", Authorization="Basic !!!"))[0] == 401
    assert (await web.post(b"x" * 1001))[0] == 413
    assert (await web.post(b"x", **{"Content-Length": ""}))[0] == 411
    assert (await web.post(b"x", **{"Content-Length": "abc"}))[0] == 400
    assert (await web.http(b"POST /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n"))[0] == 405
    assert (await web.http(b"POST /upload HTTP/9\r\n\r\n"))[0] == 400
    assert (await web.get("/files/" + "A" * 22))[0] == 404
    assert (await web.get("/files/../../etc/passwd"))[0] == 404
    assert list(web.files.directory.iterdir()) == []


async def test_quota_and_rate_over_http(web: Web) -> None:
    for _ in range(3):
        assert (await web.post(b"x" * 1000))[0] == 201
    assert (await web.post(b"x" * 10))[0] == 413  # 3000 bytes used
    assert (await web.post(b""))[0] == 201
    assert (await web.post(b""))[0] == 201
    assert (await web.post(b""))[0] == 429  # five a minute


async def test_options_answers_what_is_accepted(web: Web) -> None:
    status, headers, _ = await web.http(b"OPTIONS /upload HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 204 and "POST" in headers["allow"] and headers["accept-post"] == "*/*"


async def test_the_page_and_websocket_still_work(web: Web) -> None:
    assert (await web.get("/"))[0] == 200
    async with connect(f"ws://127.0.0.1:{web.port}/ws", subprotocols=None) as ws:
        await ws.send("NICK bob")
        await ws.send("USER bob 0 * :Bob")
        welcome = await asyncio.wait_for(ws.recv(), 10)
        assert " 001 " in str(welcome)


def test_parsing_the_head() -> None:
    assert takes(b"PO") is None and takes(b"POST ") and takes(b"OPTIONS /")
    assert takes(b"GET / ") is False and takes(b"P") is None
    method, path, headers = parse_head(b"POST /upload HTTP/1.1\r\nHost: a\r\nhost: b")
    assert (method, path, headers) == ("POST", "/upload", {"host": "a"})


async def test_the_upload_url_is_advertised(web: Web) -> None:
    assert web.harness.server.upload_url == f"http://127.0.0.1:{web.port}/upload"


async def test_an_unusable_directory_turns_uploads_off(tmp_path: Path) -> None:
    harness = Harness()
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    harness.server.config = replace(harness.server.config, files_dir=str(blocker / "files"))
    assert uploads_for(harness.server, secure=False) is None
    harness.server.config = replace(harness.server.config, files_dir=str(tmp_path / "ok"))
    assert uploads_for(harness.server, secure=False) is not None
    await harness.close()


async def token(client: FakeClient) -> str:
    replies = await client.ask("EXTJWT *")
    return "".join(line.params[-1] for line in replies if line.command == "EXTJWT")


async def test_a_session_token_uploads_without_a_password(web: Web) -> None:
    guest = await web.harness.user("guest")
    status, headers, _ = await web.post(small_png(), Authorization=f"Bearer {await token(guest)}")
    assert status == 201
    stored = web.files.get(headers["location"].rsplit("/", 1)[1])
    assert stored is not None and stored.account.startswith("~guest-")


async def test_wrong_expired_and_quit_tokens_are_refused(web: Web) -> None:
    alice = await web.harness.user("alice")
    good = await token(alice)
    for wrong in ("", "nonsense", good[:-3] + "AAA", good.replace(".", "", 1)):
        status, headers, _ = await web.post(b"x", Authorization=f"Bearer {wrong}")
        assert status == 401 and "Bearer" in headers["www-authenticate"], wrong
    tokens = web.harness.server.auth.upload_tokens
    clock, tokens.clock = tokens.clock, lambda: clock() + LIFETIME
    try:
        assert (await web.post(b"x", Authorization=f"Bearer {good}"))[0] == 401  # expired
    finally:
        tokens.clock = clock
    assert (await web.post(b"x", Authorization=f"Bearer {good}"))[0] == 201
    await alice.ask("QUIT")
    assert (await web.post(b"x", Authorization=f"Bearer {good}"))[0] == 401


async def test_token_uploads_count_against_the_account_or_the_session(web: Web) -> None:
    alice = await web.harness.connect().register("alice")
    assert [line.command for line in await alice.log_in("alice", PASSWORD)][-1] == "903"
    assert (await web.post(b"x" * 1000))[0] == 201  # with the password
    for _ in range(2):
        assert (await web.post(b"x" * 1000, Authorization=f"Bearer {await token(alice)}"))[0] == 201
    full = await web.post(b"x", Authorization=f"Bearer {await token(alice)}")
    assert full[0] == 413  # the account's 3000 bytes, however it uploaded
    guest, other = await web.harness.user("guest"), await web.harness.user("other")
    guest_token = await token(guest)
    for _ in range(3):
        assert (await web.post(b"x" * 1000, Authorization=f"Bearer {guest_token}"))[0] == 201
    assert (await web.post(b"x", Authorization=f"Bearer {guest_token}"))[0] == 413
    assert (await web.post(b"x", Authorization=f"Bearer {await token(other)}"))[0] == 201


async def test_token_uploads_are_rate_limited_per_session(web: Web) -> None:
    guest, other = await web.harness.user("guest"), await web.harness.user("other")
    bearer = f"Bearer {await token(guest)}"
    for _ in range(5):
        assert (await web.post(b"", Authorization=bearer))[0] == 201
    assert (await web.post(b"", Authorization=bearer))[0] == 429  # five a minute
    assert (await web.post(b"", Authorization=f"Bearer {await token(other)}"))[0] == 201


async def test_a_guests_token_is_refused_unless_guests_may_upload(web: Web) -> None:
    guest = await web.harness.user("guest")
    bearer = f"Bearer {await token(guest)}"  # issued while guests could upload
    assert web.listener.uploads is not None
    web.listener.uploads.guests = False
    status, _, body = await web.post(b"x", Authorization=bearer)
    assert (status, body) == (403, b"Log in to an account to share files.\n")
    alice = await web.harness.connect().register("alice")
    await alice.log_in("alice", PASSWORD)
    assert (await web.post(b"x", Authorization=f"Bearer {await token(alice)}"))[0] == 201


async def test_guests_alone_turn_uploads_on_without_accounts(tmp_path: Path) -> None:
    harness = Harness(accounts=False)
    config = replace(harness.server.config, files_dir=str(tmp_path))
    harness.server.config = config
    assert uploads_for(harness.server, secure=False) is None  # no one could upload
    harness.server.config = replace(config, files_guests=True)
    uploads = uploads_for(harness.server, secure=False)
    assert uploads is not None and uploads.accounts is None and uploads.guests
    await harness.close()
