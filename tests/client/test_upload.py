"""``/upload PATH`` in the client core: what it refuses without I/O, and a real
upload to the server's filehost whose link another client receives."""

from __future__ import annotations

import base64
import urllib.request
from pathlib import Path

from chatroom.client.commands import Upload, parse_input
from chatroom.client.config import ClientConfig
from chatroom.client.model import BufferKind
from chatroom.client.protocol import ClientProtocol
from chatroom.client.upload import TOKEN, TOKEN_REUSE, forget_token, plan, take
from chatroom.protocol.line import parse
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
    basic = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert (request.target, request.authorization, request.path) == ("#lobby", basic, "x.png")
    assert take(client) == []


def guest_in_a_room(isupport: dict[str, str]) -> ClientProtocol:
    client = ClientProtocol(ClientConfig("127.0.0.1", 6667, nick="guest"))
    client.connection_made()
    client.lines_to_send()
    client.isupport.update(isupport)
    client.activate(client.open_buffer("#lobby", BufferKind.CHANNEL))
    return client


def test_with_extjwt_a_token_is_asked_for_then_reused() -> None:
    client = guest_in_a_room({TOKEN: "https://chat.example/upload", "EXTJWT": "1"})
    plan(client, "a.png")
    plan(client, "b.png")  # while the token is on its way: not asked twice
    assert [line.format() for line in client.lines_to_send()] == ["EXTJWT *"]
    assert take(client) == []
    client.receive_line(parse(":srv EXTJWT * * * eyJhbGc.eyJzdWIi"))
    assert take(client) == []  # only part of it yet
    client.receive_line(parse(":srv EXTJWT * * Oi.sig"))
    requests = take(client)
    assert [(r.path, r.authorization) for r in requests] == [
        ("a.png", "Bearer eyJhbGc.eyJzdWIiOi.sig"),
        ("b.png", "Bearer eyJhbGc.eyJzdWIiOi.sig"),
    ]
    client.tick(TOKEN_REUSE - 1)
    plan(client, "c.png")  # young enough: used again, nothing sent
    assert client.lines_to_send() == [] and take(client)[0].authorization.startswith("Bearer")
    forget_token(client, requests[0])  # that upload failed: the next asks again
    plan(client, "d.png")
    assert [line.format() for line in client.lines_to_send()] == ["EXTJWT *"]
    client.receive_line(parse(":srv EXTJWT * * new.token.sig"))
    client.tick(2 * TOKEN_REUSE)
    plan(client, "e.png")  # too old to use again
    assert [line.format() for line in client.lines_to_send()] == ["EXTJWT *"]


def test_a_refused_token_says_why() -> None:
    client = guest_in_a_room({TOKEN: "https://chat.example/upload", "EXTJWT": "1"})
    plan(client, "a.png")
    client.receive_line(
        parse(":srv FAIL EXTJWT ACCOUNT_REQUIRED :Log in to an account to share files")
    )
    assert take(client) == []
    assert errors(client)[-1] == (
        "Upload of a.png failed: log in to an account first (/login): "
        "this server lets only accounts share files"
    )


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


async def test_a_logged_in_client_uploads_without_keeping_its_password(
    server: RunningServer, tmp_path: Path
) -> None:
    alice = await Running(server.port, "alice", rooms=("#lobby",)).ready()
    alice.client.submit(f"/register {PASSWORD}")
    await until(lambda: alice.client.account == "alice", what="account")
    alice.client.protocol.account_password = None  # the upload needs only the session
    (tmp_path / "a.txt").write_text("a\n")
    alice.client.switch_to("#lobby")
    alice.client.submit(f"/upload {tmp_path / 'a.txt'}")
    await until(lambda: sent_link(alice) is not None, what="the link")
    await alice.stop()


def sent_link(running: Running) -> str | None:
    buffer = running.client.model.get("#lobby")
    found = [m.text for m in buffer.messages if "/files/" in m.text] if buffer else []
    return found[0] if found else None


async def test_a_guest_shares_only_where_the_server_lets_guests(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    shared = tmp_path / "guest.txt"
    shared.write_text("from a guest\n")
    refused = await guest_uploads(server_factory("--no-flood-control"), shared)
    await until(lambda: any("log in" in e for e in errors(refused.client.protocol)))
    await refused.stop()
    allowed = server_factory("--no-flood-control", config="[files]\nguests = true\n")
    guest = await guest_uploads(allowed, shared)
    await until(lambda: sent_link(guest) is not None, what="the guest's link")
    link = sent_link(guest)
    assert link is not None
    with urllib.request.urlopen(link, timeout=10) as response:
        assert response.read() == b"from a guest\n"
    await guest.stop()


async def guest_uploads(server: RunningServer, path: Path) -> Running:
    guest = await Running(server.port, "guest", rooms=("#lobby",)).ready()
    guest.client.switch_to("#lobby")
    guest.client.submit(f"/upload {path}")
    return guest


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
