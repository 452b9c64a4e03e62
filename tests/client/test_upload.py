"""``/upload PATH`` in the client core: what it refuses without I/O, and a real
upload to the server's filehost whose link another client receives."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from chatroom.client.commands import Upload, parse_input
from chatroom.client.config import ClientConfig
from chatroom.client.model import BufferKind
from chatroom.client.protocol import ClientProtocol
from chatroom.client.upload import TOKEN, plan, take
from support.client import Running, until
from support.server import RunningServer, ServerFactory

PASSWORD = "correct horse battery staple"


def errors(client: ClientProtocol) -> list[str]:
    return [m.text for b in client.model.buffers for m in b.messages if m.kind.value == "error"]


def test_the_command_parses() -> None:
    assert parse_input("/upload ~/My Pictures/a b.png") == Upload("~/My Pictures/a b.png")
    assert not isinstance(parse_input("/upload"), Upload)  # usage


def test_refused_without_token_account_or_room() -> None:
    client = ClientProtocol(ClientConfig("127.0.0.1", 6667, nick="alice", tls=True))

    plan(client, "x.png")
    assert "no soju.im/FILEHOST" in errors(client)[-1]
    client.isupport[TOKEN] = "http://chat.example/upload"
    plan(client, "x.png")
    assert "not encrypted" in errors(client)[-1]  # the spec: no http under TLS
    client.isupport[TOKEN] = "https://chat.example/upload"
    plan(client, "x.png")
    assert "Log in" in errors(client)[-1]
    client.account, client.account_password = "alice", PASSWORD
    plan(client, "x.png")
    assert "Switch to a room" in errors(client)[-1]
    client.activate(client.open_buffer("#lobby", BufferKind.CHANNEL))
    plan(client, "x.png")
    [request] = take(client)
    assert (request.target, request.account, request.path) == ("#lobby", "alice", "x.png")
    assert take(client) == []


async def test_upload_sends_the_link(server: RunningServer, tmp_path: Path) -> None:
    alice = await Running(server.port, "alice", rooms=("#lobby",)).ready()
    alice.client.submit(f"/register {PASSWORD}")
    await until(lambda: alice.client.account == "alice", what="account")
    bob = await Running(server.port, "bob", rooms=("#lobby",)).ready()
    shared = tmp_path / "notes.txt"
    shared.write_text("the log\n")
    alice.client.switch_to("#lobby")
    alice.client.submit(f"/upload {shared}")

    def bob_link() -> str | None:
        buffer = bob.client.model.get("#lobby")
        found = [m.text for m in buffer.messages if "/files/" in m.text] if buffer else []
        return found[0] if found else None

    await until(lambda: bob_link() is not None, what="the link")
    link = bob_link()
    assert link is not None and link.startswith(f"http://127.0.0.1:{server.web_port}/files/")
    with urllib.request.urlopen(link, timeout=10) as response:
        assert response.read() == b"the log\n"
        assert response.headers["Content-Disposition"] == 'attachment; filename="notes.txt"'
    alice.client.submit(f"/upload {tmp_path / 'missing.bin'}")
    await until(lambda: any("cannot read" in e for e in errors(alice.client.protocol)))
    await alice.stop()
    await bob.stop()


async def test_a_refused_upload_says_the_servers_reason(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = server_factory("--no-flood-control", config="[files]\nmax_size = 10\n")
    alice = await Running(server.port, "alice", rooms=("#lobby",)).ready()
    alice.client.submit(f"/register {PASSWORD}")
    await until(lambda: alice.client.account == "alice", what="account")
    big = tmp_path / "big.txt"
    big.write_text("more than ten bytes\n")
    alice.client.switch_to("#lobby")
    alice.client.submit(f"/upload {big}")
    await until(lambda: any("failed" in e for e in errors(alice.client.protocol)))
    assert errors(alice.client.protocol)[-1] == (
        f"Upload of {big} failed: Files may be at most 10 bytes"
    )
    await alice.stop()
