"""AUTHENTICATE (SASL PLAIN, SCRAM-SHA-256) and REGISTER in memory.

https://ircv3.net/specs/extensions/sasl-3.1, account-registration (draft),
account-notify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import replace

from chatroom.protocol.line import Line
from support.core import Harness, commands, find, join, params

PASSWORD = "correct horse battery"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def plain(account: str, password: str) -> str:
    return b64(f"\0{account}\0{password}")


async def account(harness: Harness, name: str) -> None:
    assert harness.accounts is not None
    await harness.accounts.register(name, PASSWORD)


async def test_register_before_connecting_logs_in(harness: Harness) -> None:
    client = harness.connect()
    client.send("CAP LS 302", "CAP REQ :draft/account-registration sasl", "NICK alice")
    client.send("USER alice 0 * :Alice")
    replies = await client.expect(f"REGISTER * * :{PASSWORD}", "900")
    assert find(replies, "REGISTER").params == ("SUCCESS", "alice", "Account created")
    assert find(replies, "900").params[1:3] == ("alice!~alice@10.0.0.1", "alice")
    assert "001" in commands(await client.ask("CAP END"))
    assert client.session.account == "alice"


async def test_register_refusals(harness: Harness) -> None:
    henry = await harness.user("henry")
    fail = find(await henry.expect("REGISTER * * :short", "FAIL"), "FAIL")
    assert fail.params[:3] == ("REGISTER", "WEAK_PASSWORD", "henry")
    fail = find(await henry.ask("REGISTER someoneelse * :long enough password"), "FAIL")
    assert fail.params[:2] == ("REGISTER", "ACCOUNT_NAME_MUST_BE_NICK")
    fail = find(await henry.expect("REGISTER * * :" + "p" * 400, "FAIL"), "FAIL")
    assert fail.params[:2] == ("REGISTER", "WEAK_PASSWORD")
    assert find(await henry.ask("REGISTER * *"), "461").params[1] == "REGISTER"
    await account(harness, "ivy")
    other = await harness.user("ivy_")
    await other.ask("NICK ivy")
    fail = find(await other.expect("REGISTER * * :long enough password", "FAIL"), "FAIL")
    assert fail.params[:2] == ("REGISTER", "ACCOUNT_EXISTS")
    await henry.expect(f"REGISTER * * :{PASSWORD}", "900")
    fail = find(await henry.ask(f"REGISTER * * :{PASSWORD}"), "FAIL")
    assert fail.params[:2] == ("REGISTER", "ALREADY_AUTHENTICATED")


async def test_register_needs_a_nick(harness: Harness) -> None:
    client = harness.connect()
    fail = find(await client.ask(f"REGISTER * * :{PASSWORD}"), "FAIL")
    assert fail.params[:3] == ("REGISTER", "NEED_NICK", "*")


async def test_register_of_an_existing_account_before_nick_is_account_exists(
    harness: Harness,
) -> None:
    # Issue 17: land-grab protection comes before NEED_NICK (draft/account-registration).
    await account(harness, "taken")
    client = harness.connect()
    fail = find(await client.expect(f"REGISTER Taken * :{PASSWORD}", "FAIL"), "FAIL")
    assert fail.params[:3] == ("REGISTER", "ACCOUNT_EXISTS", "Taken")
    fail = find(await client.expect(f"REGISTER free * :{PASSWORD}", "FAIL"), "FAIL")
    assert fail.params[:3] == ("REGISTER", "NEED_NICK", "free")
    assert harness.accounts is not None and await harness.accounts.get("free") is None


def _offered(replies: list[Line]) -> list[str]:
    """The caps of a CAP LS reply, over all its lines (CAP 302 splits a long list)."""
    return " ".join(p[-1] for p in params(replies, "CAP")).split()


async def test_registration_before_connect_follows_its_config_key(harness: Harness) -> None:
    client = harness.connect()
    offered = _offered(await client.ask("CAP LS 302"))
    assert "draft/account-registration=before-connect" in offered
    config = replace(harness.server.config, registration_before_connect=False)
    late = Harness(config)
    try:
        client = late.connect()
        offered = _offered(await client.ask("CAP LS 302"))
        assert "draft/account-registration" in offered  # no before-connect value
        client.send("NICK alice", "USER alice 0 * :Alice")
        fail = find(await client.ask(f"REGISTER * * :{PASSWORD}"), "FAIL")
        assert fail.params[:2] == ("REGISTER", "COMPLETE_CONNECTION_REQUIRED")
        client.send("CAP END")
        await client.wait_for("001")
        replies = await client.expect(f"REGISTER * * :{PASSWORD}", "900")
        assert find(replies, "REGISTER").params[0] == "SUCCESS"
    finally:
        await late.close()


async def test_the_minimum_password_length_is_a_config_key(harness: Harness) -> None:
    assert harness.server.config.min_password_length == 8  # the default
    alice = await harness.user("alice")
    fail = find(await alice.expect("REGISTER * * :seven77", "FAIL"), "FAIL")
    assert fail.params[:3] == ("REGISTER", "WEAK_PASSWORD", "alice")
    assert "at least 8 characters" in fail.params[-1]
    strict = Harness(replace(harness.server.config, min_password_length=12))
    lax = Harness(replace(harness.server.config, min_password_length=4))
    try:
        bob = await strict.user("bob")
        fail = find(await bob.expect("REGISTER * * :eleven char", "FAIL"), "FAIL")
        assert fail.params[:2] == ("REGISTER", "WEAK_PASSWORD")
        assert "at least 12 characters" in fail.params[-1]
        await bob.expect("REGISTER * * :twelve chars", "900")
        carol = await lax.user("carol")
        await carol.expect("REGISTER * * :four", "900")
    finally:
        await strict.close()
        await lax.close()


async def test_register_when_creating_accounts_is_off(harness: Harness) -> None:
    harness.server.config = replace(harness.server.config, registration_open=False)
    alice = await harness.user("alice")
    fail = find(await alice.ask(f"REGISTER alice * :{PASSWORD}"), "FAIL")
    assert fail.params[:3] == ("REGISTER", "TEMPORARILY_UNAVAILABLE", "alice")


async def test_account_creation_is_throttled_per_address(harness: Harness) -> None:
    for i in range(5):
        client = await harness.user(f"user{i}", address="10.1.1.1")
        await client.expect(f"REGISTER * * :{PASSWORD}", "900")
    late = await harness.user("late", address="10.1.1.1")
    fail = find(await late.ask(f"REGISTER * * :{PASSWORD}"), "FAIL")
    assert fail.params[:2] == ("REGISTER", "TEMPORARILY_UNAVAILABLE")


async def test_sasl_plain_login(harness: Harness) -> None:
    await account(harness, "alice")
    client = harness.connect()
    client.send("CAP LS 302", "CAP REQ :sasl", "NICK alice", "USER alice 0 * :A")
    assert find(await client.ask("AUTHENTICATE PLAIN"), "AUTHENTICATE").params == ("+",)
    replies = await client.expect(f"AUTHENTICATE {plain('alice', PASSWORD)}", "903", "904")
    assert commands(replies) == ["900", "903"]
    assert "001" in commands(await client.ask("CAP END"))
    bob = await harness.user("bob")
    assert find(await bob.ask("WHOIS alice"), "330").params[1:3] == ("alice", "alice")


async def test_wrong_password_and_unknown_account_fail_alike(harness: Harness) -> None:
    await account(harness, "bob")
    wrong = await harness.user("guest1")
    unknown = await harness.user("guest2")
    assert commands(await wrong.log_in("bob", "not the password")) == ["AUTHENTICATE", "904"]
    assert commands(await unknown.log_in("nobody", "whatever123")) == ["AUTHENTICATE", "904"]
    assert wrong.session.account is None


async def test_guessing_is_throttled(harness: Harness) -> None:
    await account(harness, "carol")
    guesser = await harness.user("guesser")
    for _ in range(3):
        assert "904" in commands(await guesser.log_in("carol", "wrong-guess"))
    # Now even the right password is refused, without any check.
    assert "904" in commands(await guesser.log_in("carol", PASSWORD))
    assert guesser.session.account is None


async def test_login_after_registration_notifies_and_is_once(harness: Harness) -> None:
    await account(harness, "erin")
    watcher = await harness.user("watcher", caps=("account-notify",))
    erin = await harness.user("erin")
    await join("#acc", watcher, erin)
    assert "903" in commands(await erin.log_in("erin", PASSWORD))
    notify = find(watcher.lines(), "ACCOUNT")
    assert notify.source.startswith("erin!") and notify.params == ("erin",)
    assert commands(await erin.ask("AUTHENTICATE PLAIN")) == ["907"]


async def test_sasl_errors_and_abort(harness: Harness) -> None:
    jack = await harness.user("jack")
    replies = await jack.ask("AUTHENTICATE EXTERNAL")
    assert commands(replies) == ["908", "904"]
    assert find(replies, "908").params[1] == "PLAIN,SCRAM-SHA-256"
    await jack.ask("AUTHENTICATE PLAIN")
    assert commands(await jack.ask("AUTHENTICATE " + "A" * 401)) == ["905", "904"]
    await jack.ask("AUTHENTICATE PLAIN")
    assert commands(await jack.ask("AUTHENTICATE *")) == ["906"]
    await jack.ask("AUTHENTICATE PLAIN")
    assert commands(await jack.ask("AUTHENTICATE " + b64("no nul bytes"))) == ["904"]
    await jack.ask("AUTHENTICATE PLAIN")
    replies = await jack.ask("AUTHENTICATE " + b64(f"someone\0jack\0{PASSWORD}"))
    assert commands(replies) == ["904"]  # authzid other than authcid
    assert find(await jack.ask("AUTHENTICATE"), "461").params[1] == "AUTHENTICATE"


async def test_plain_may_need_tls(harness: Harness) -> None:
    harness.server.config = replace(harness.server.config, plain_needs_tls=True)
    remote = await harness.user("remote")
    replies = await remote.ask("AUTHENTICATE PLAIN")
    assert find(replies, "FAIL").params[:2] == ("AUTHENTICATE", "TLS_REQUIRED")
    assert "904" in commands(replies)
    local = await harness.user("local", address="127.0.0.1")
    assert commands(await local.ask("AUTHENTICATE PLAIN")) == ["AUTHENTICATE"]


async def test_accounts_off() -> None:
    harness = Harness(accounts=False)
    alice = await harness.user("alice")
    assert find(await alice.ask("AUTHENTICATE PLAIN"), "904")
    fail = find(await alice.ask(f"REGISTER * * :{PASSWORD}"), "FAIL")
    assert fail.params[:2] == ("REGISTER", "TEMPORARILY_UNAVAILABLE")
    client = harness.connect()
    offered = " ".join(line.params[-1] for line in await client.ask("CAP LS 302"))
    assert "sasl" not in offered and "account-registration" not in offered
    await harness.close()


def scram_proof(
    password: str, salt: bytes, iterations: int, auth_message: bytes
) -> tuple[bytes, bytes]:
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    signature = hmac.new(stored_key, auth_message, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    return proof, hmac.new(server_key, auth_message, "sha256").digest()


async def test_scram_sha_256_login(harness: Harness) -> None:
    await account(harness, "dave")
    client = harness.connect()
    client.send("CAP LS 302", "CAP REQ :sasl", "NICK dave", "USER dave 0 * :Dave")
    assert find(await client.ask("AUTHENTICATE SCRAM-SHA-256"), "AUTHENTICATE")
    nonce = secrets.token_urlsafe(18)
    first_bare = f"n=dave,r={nonce}"
    replies = await client.expect("AUTHENTICATE " + b64(f"n,,{first_bare}"), "AUTHENTICATE")
    server_first = base64.b64decode(find(replies, "AUTHENTICATE").params[0]).decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    assert fields["r"].startswith(nonce)
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    proof, signature = scram_proof(
        PASSWORD, base64.b64decode(fields["s"]), int(fields["i"]), auth_message
    )
    final = f"{without_proof},p={base64.b64encode(proof).decode()}"
    replies = await client.ask("AUTHENTICATE " + b64(final))
    server_final = base64.b64decode(find(replies, "AUTHENTICATE").params[0]).decode()
    assert server_final == "v=" + base64.b64encode(signature).decode()
    replies = await client.ask("AUTHENTICATE +")
    assert commands(replies) == ["900", "903"]
    assert find(replies, "900").params[2] == "dave"
    assert "001" in commands(await client.ask("CAP END"))


async def test_scram_with_a_wrong_proof_fails(harness: Harness) -> None:
    await account(harness, "dave")
    client = await harness.user("dave_")
    await client.ask("AUTHENTICATE SCRAM-SHA-256")
    nonce = secrets.token_urlsafe(18)
    replies = await client.expect("AUTHENTICATE " + b64(f"n,,n=dave,r={nonce}"), "AUTHENTICATE")
    server_first = base64.b64decode(find(replies, "AUTHENTICATE").params[0]).decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    bogus = base64.b64encode(b"x" * 32).decode()
    replies = await client.ask("AUTHENTICATE " + b64(f"c=biws,r={fields['r']},p={bogus}"))
    assert commands(replies) == ["904"]
    assert client.session.account is None
