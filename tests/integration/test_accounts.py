"""Accounts over real sockets: REGISTER, SASL PLAIN and SCRAM-SHA-256, throttling,
nick protection, and the account in messages, joins and WHOIS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from accounts_helpers import PASSWORD, connect_with_sasl, register_account, sasl_plain
from conftest import RunningServer, ServerFactory
from irc_client import IrcClient


def test_register_then_log_in_with_plain(server: RunningServer) -> None:
    first = register_account(server, "alice")
    first.send("QUIT")
    c, result = connect_with_sasl(server, "alice", "alice", PASSWORD)
    assert result == "903"
    c.send("WHOIS alice")
    assert c.expect("330").params[1:3] == ["alice", "alice"]
    assert PASSWORD not in server.log


def test_wrong_password_and_unknown_account_fail_alike(server: RunningServer) -> None:
    register_account(server, "bob").send("QUIT")
    _, wrong = connect_with_sasl(server, "guest1", "bob", "not the password")
    _, unknown = connect_with_sasl(server, "guest2", "nobody", "whatever123")
    assert wrong == unknown == "904"


def test_guessing_is_throttled(server: RunningServer) -> None:
    register_account(server, "carol").send("QUIT")
    c = IrcClient(server.port).register("guesser")
    for _ in range(3):
        assert sasl_plain(c, "carol", "wrong-guess") == "904"
    start = time.monotonic()
    # Now even the right password is refused at once, without any hashing.
    assert sasl_plain(c, "carol", PASSWORD) == "904"
    assert time.monotonic() - start < 1.0


def scram_client_proof(
    password: str, salt: bytes, iterations: int, auth_message: bytes
) -> tuple[bytes, bytes]:
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    signature = hmac.new(stored_key, auth_message, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    return proof, hmac.new(server_key, auth_message, "sha256").digest()


def test_scram_sha_256_login(server: RunningServer) -> None:
    register_account(server, "dave").send("QUIT")
    c = IrcClient(server.port)
    c.send("CAP LS 302")
    c.send("CAP REQ sasl")
    c.expect("CAP", lambda line: line.params[1] == "ACK")
    c.send("NICK dave")
    c.send("USER dave 0 * :Dave")
    c.send("AUTHENTICATE SCRAM-SHA-256")
    c.expect("AUTHENTICATE")
    nonce = secrets.token_urlsafe(18)
    client_first_bare = f"n=dave,r={nonce}"
    c.send("AUTHENTICATE " + base64.b64encode(f"n,,{client_first_bare}".encode()).decode())
    server_first = base64.b64decode(c.expect("AUTHENTICATE").params[0]).decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    assert fields["r"].startswith(nonce)
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{client_first_bare},{server_first},{without_proof}".encode()
    proof, server_signature = scram_client_proof(
        PASSWORD, base64.b64decode(fields["s"]), int(fields["i"]), auth_message
    )
    final = f"{without_proof},p={base64.b64encode(proof).decode()}"
    c.send("AUTHENTICATE " + base64.b64encode(final.encode()).decode())
    server_final = base64.b64decode(c.expect("AUTHENTICATE").params[0]).decode()
    assert server_final == "v=" + base64.b64encode(server_signature).decode()
    c.send("AUTHENTICATE +")
    assert c.expect("900").params[2] == "dave"
    c.expect("903")
    c.send("CAP END")
    c.expect("001")


def test_account_in_messages_joins_and_notify(server: RunningServer) -> None:
    register_account(server, "erin").send("QUIT")
    watcher = IrcClient(server.port).register(
        "watcher", "account-tag extended-join account-notify message-tags"
    )
    watcher.join("#acc")
    erin, result = connect_with_sasl(server, "erin", "erin", PASSWORD)
    assert result == "903"
    erin.send("JOIN #acc")
    joined = watcher.expect("JOIN")
    assert joined.params == ["#acc", "erin", "erin real"]
    erin.send("PRIVMSG #acc :signed")
    message = watcher.expect("PRIVMSG")
    assert message.tags is not None and message.tags["account"] == "erin"
    # A second client logged in to the same account at once.
    phone, result = connect_with_sasl(server, "erin_phone", "erin", PASSWORD)
    assert result == "903"
    phone.send("JOIN #acc")
    assert watcher.expect("JOIN").params[1] == "erin"
    # account-notify: a late login is announced to those sharing a channel.
    late = IrcClient(server.port).register("frank")
    late.join("#acc")
    register = "REGISTER * * :another good password"
    late.send(register)
    late.expect("REGISTER")
    notify = watcher.expect("ACCOUNT")
    assert notify.source.startswith("frank!") and notify.params == ["frank"]


def test_registered_nick_is_taken_back(server_factory: ServerFactory) -> None:
    server = server_factory("--no-flood-control", config="[accounts]\nnick_grace = 1\n")
    register_account(server, "grace").send("QUIT")
    impostor = IrcClient(server.port).register("grace", "standard-replies")
    note = impostor.expect("NOTE")
    assert note.params[1] == "NICK_REGISTERED"
    renamed = impostor.expect("NICK", timeout=10)
    assert renamed.params[0].startswith("Guest")
    # The owner, logging in, keeps it.
    owner, result = connect_with_sasl(server, "grace", "grace", PASSWORD)
    assert result == "903"
    assert not [line for line in owner.collect(1.5) if line.command == "NICK"]


def test_register_refusals(server: RunningServer) -> None:
    c = IrcClient(server.port).register("henry")
    c.send("REGISTER * * :short")
    assert c.expect("FAIL").params[:2] == ["REGISTER", "WEAK_PASSWORD"]
    c.send("REGISTER someoneelse * :long enough password")
    assert c.expect("FAIL").params[:2] == ["REGISTER", "ACCOUNT_NAME_MUST_BE_NICK"]
    c.send("REGISTER * * :" + "p" * 400)
    assert c.expect("FAIL").params[:2] == ["REGISTER", "WEAK_PASSWORD"]
    register_account(server, "ivy").send("QUIT")
    other = IrcClient(server.port).register("ivy_")
    other.send("NICK ivy")
    other.expect("NICK")
    other.send("REGISTER * * :long enough password")
    fail = other.expect("FAIL")
    assert fail.params[:2] == ["REGISTER", "ACCOUNT_EXISTS"], fail.params


def test_sasl_limits_and_abort(server: RunningServer) -> None:
    c = IrcClient(server.port).register("jack")
    c.send("AUTHENTICATE EXTERNAL")
    assert c.expect("908").params[1] == "PLAIN,SCRAM-SHA-256"
    c.expect("904")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    c.send("AUTHENTICATE " + "A" * 401)
    c.expect("905")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    c.send("AUTHENTICATE *")
    c.expect("906")
