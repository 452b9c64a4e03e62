"""Upload tokens (chatroom.server.tokens): each rule on its own, with a fake clock."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest

from chatroom.server.tokens import LIFETIME, PER_SESSION, UploadTokens


@dataclass(eq=False)
class FakeSession:
    account: str | None = None
    closed: bool = False


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return decoded


def test_a_token_is_a_signed_jwt_with_the_claims_and_random() -> None:
    tokens = UploadTokens(Clock())
    session = FakeSession("alice")
    token = tokens.issue(session, "irc.test", {"sub": "alice", "account": "alice"})
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims(token) | {"jti": "x", "sid": "y"} == {
        "sub": "alice", "account": "alice", "exp": 1_000_300, "iss": "irc.test", "jti": "x",
        "sid": "y",
    }  # fmt: skip
    again = tokens.issue(session, "irc.test", {})
    assert again != token and claims(again)["jti"] != claims(token)["jti"]
    grant = tokens.check(token)
    assert grant is not None and grant.session is session and grant.owner == "alice"


def test_an_expired_token_is_refused() -> None:
    clock = Clock()
    tokens = UploadTokens(clock)
    token = tokens.issue(FakeSession("alice"), "irc.test", {})
    clock.now += LIFETIME - 1
    assert tokens.check(token) is not None
    clock.now += 1
    assert tokens.check(token) is None


def test_a_token_ends_with_its_session() -> None:
    tokens = UploadTokens(Clock())
    session = FakeSession()
    token = tokens.issue(session, "irc.test", {})
    session.closed = True
    assert tokens.check(token) is None
    tokens.issue(FakeSession(), "irc.test", {})
    assert len(tokens) == 1  # the closed session's token is forgotten


def test_wrong_tokens_are_refused() -> None:
    tokens, other = UploadTokens(Clock()), UploadTokens(Clock())
    token = tokens.issue(FakeSession(), "irc.test", {"sub": "bob"})
    head, payload, signature = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(token) | {"sub": "root"}).encode()).rstrip(
        b"="
    )
    for wrong in (
        "",
        "garbage",
        "a.b.c",
        "é.é.é",
        f"{head}.{forged.decode()}.{signature}",  # claims changed, old signature
        f"{head}.{payload}.{signature[:-2]}",
        other.issue(FakeSession(), "irc.test", {}),  # another process
    ):
        assert tokens.check(wrong) is None, wrong


def test_owner_is_the_account_now_else_one_key_per_session() -> None:
    tokens = UploadTokens(Clock())
    guest, other = FakeSession(), FakeSession()
    first = tokens.check(tokens.issue(guest, "s", {}))
    second = tokens.check(tokens.issue(guest, "s", {}))
    third = tokens.check(tokens.issue(other, "s", {}))
    assert first is not None and second is not None and third is not None
    assert first.owner == second.owner != third.owner and first.owner.startswith("~guest-")
    guest.account = "carol"  # logged in since: the account's quota
    grant = tokens.check(tokens.issue(guest, "s", {}))
    assert grant is not None and grant.owner == "carol"


def test_a_session_keeps_only_its_newest_tokens() -> None:
    tokens = UploadTokens(Clock())
    session = FakeSession()
    issued = [tokens.issue(session, "s", {}) for _ in range(PER_SESSION + 2)]
    assert [tokens.check(t) is not None for t in issued] == [False] * 2 + [True] * PER_SESSION
    assert len(tokens) == PER_SESSION


def test_processes_sharing_a_secret_take_each_others_tokens() -> None:
    clock = Clock()
    issuer, receiver, stranger = UploadTokens(clock), UploadTokens(clock), UploadTokens(clock)
    secret = bytes(range(32))
    issuer.share_secret(secret)
    receiver.share_secret(secret)
    alice, guest = FakeSession("alice"), FakeSession()
    token = issuer.issue(alice, "irc.test", {"sub": "alice", "account": "alice"})
    grant = receiver.check(token)
    assert grant is not None and grant.session is None  # not a session of this process
    assert (grant.owner, grant.account, grant.expires) == ("alice", "alice", clock.now + LIFETIME)
    first = receiver.check(issuer.issue(guest, "irc.test", {"sub": "g", "account": ""}))
    second = receiver.check(issuer.issue(guest, "irc.test", {"sub": "g", "account": ""}))
    assert first is not None and second is not None and first.account is None
    assert first.owner == second.owner == issuer.check(issuer.issue(guest, "irc.test", {})).owner  # type: ignore[union-attr]  # one quota per session, whoever receives it
    assert stranger.check(token) is None  # its own secret: not of this network
    clock.now += LIFETIME
    assert receiver.check(token) is None  # expired everywhere


def test_the_issuer_still_ends_its_own_tokens_with_the_session() -> None:
    """Revocation is local: the issuing process refuses a token of a session that has
    ended even though the signature is the network's (others wait for ``exp``)."""
    issuer, receiver = UploadTokens(Clock()), UploadTokens(Clock())
    for tokens in (issuer, receiver):
        tokens.share_secret(b"k" * 32)
    session = FakeSession("alice")
    token = issuer.issue(session, "irc.test", {"account": "alice"})
    session.closed = True
    assert issuer.check(token) is None
    issuer.issue(FakeSession(), "irc.test", {})  # the ended session's entry is forgotten
    assert issuer.check(token) is None
    assert receiver.check(token) is not None


def test_a_short_or_forged_network_secret_is_refused() -> None:
    tokens = UploadTokens(Clock())
    with pytest.raises(ValueError, match="32 bytes"):
        tokens.share_secret(b"short")
    other = UploadTokens(Clock())
    other.share_secret(b"x" * 32)
    head, payload, _ = other.issue(FakeSession(), "s", {}).split(".")
    unsigned = f"{head}.{payload}."
    tokens.share_secret(b"x" * 32)
    assert tokens.check(unsigned) is None
