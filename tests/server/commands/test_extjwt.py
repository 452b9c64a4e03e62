"""EXTJWT (IRCv3 draft extjwt): the upload token a connected session asks for."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

from chatroom.protocol.line import Line
from chatroom.server.commands.info import isupport
from support.core import Harness, join


def token_of(replies: list[Line], target: str = "*") -> str:
    pieces = [line.params for line in replies if line.command == "EXTJWT"]
    assert pieces and all(p[:2] == (target, "*") for p in pieces), replies
    assert all(p[2] == "*" for p in pieces[:-1]) and len(pieces[-1]) == 3
    return "".join(p[-1] for p in pieces)


def claims(token: str) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return decoded


def let_guests_upload(harness: Harness) -> None:
    harness.server.config = replace(harness.server.config, files_guests=True)


async def test_a_guest_gets_a_token_the_uploads_accept(harness: Harness) -> None:
    let_guests_upload(harness)
    alice = await harness.user("alice")
    token = token_of(await alice.ask("EXTJWT *"))
    assert claims(token) | {"exp": 0, "jti": "", "sid": ""} == {
        "sub": "alice", "account": "", "umodes": [], "iss": harness.server.config.name,
        "exp": 0, "jti": "", "sid": "",
    }  # fmt: skip
    grant = harness.server.auth.upload_tokens.check(token)
    assert grant is not None and grant.session is alice.session


async def test_a_guest_gets_no_token_unless_guests_may_upload(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("EXTJWT *")
    assert [(r.command, r.params[:2]) for r in replies] == [
        ("FAIL", ("EXTJWT", "ACCOUNT_REQUIRED"))
    ]
    assert len(harness.server.auth.upload_tokens) == 0


async def test_channel_claims_and_errors(harness: Harness) -> None:
    let_guests_upload(harness)
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await join("#room", alice, bob)
    got = claims(token_of(await alice.ask("EXTJWT #ROOM"), "#ROOM"))
    assert (got["channel"], got["joined"], got["cmodes"]) == ("#room", 1, ["o"])
    carol = await harness.user("carol")
    assert claims(token_of(await carol.ask("EXTJWT #room"), "#room"))["joined"] == 0
    replies = await carol.ask("EXTJWT #nowhere")
    assert [(r.command, r.params[1:]) for r in replies] == [
        ("403", ("#nowhere", "No such channel"))
    ]
    replies = await carol.ask("EXTJWT * jitsi")
    assert [r.params[:2] for r in replies if r.command == "FAIL"] == [("EXTJWT", "NO_SUCH_SERVICE")]
    assert [r.command for r in await carol.ask("EXTJWT")] == ["461"]


async def test_a_token_ends_when_its_session_quits(harness: Harness) -> None:
    let_guests_upload(harness)
    alice = await harness.user("alice")
    token = token_of(await alice.ask("EXTJWT *"))
    await alice.ask("QUIT :bye")
    assert harness.server.auth.upload_tokens.check(token) is None


async def test_advertised_with_the_filehost(harness: Harness) -> None:
    assert "EXTJWT" not in isupport(harness.server)
    harness.server.config = replace(harness.server.config, files_url="https://up.example/upload")
    assert isupport(harness.server)["EXTJWT"] == "1"
