"""SASL: PLAIN (RFC 4616), SCRAM-SHA-256 (RFC 5802, RFC 7677) and AUTHENTICATE framing."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroom.errors import LocalProtocolError, RemoteProtocolError
from chatroom.protocol.sasl import (
    CHUNK_SIZE,
    AuthenticationFailed,
    SaslChunks,
    SaslError,
    SaslMalformed,
    SaslTooLong,
    ScramCredentials,
    ScramExchange,
    ScramState,
    decode_plain,
    derive_scram_credentials,
    encode_chunks,
    parse_client_first,
    saslprep,
)

# --- RFC 7677 section 3, the SCRAM-SHA-256 example -------------------------------------------

RFC_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
RFC_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
RFC_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
RFC_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

PENCIL = derive_scram_credentials("pencil", RFC_SALT, 4096)


def state_of(exchange: ScramExchange) -> ScramState:
    """The state, read through a call so that mypy does not keep an earlier narrowing."""
    return exchange.state


def test_rfc7677_example_exact_messages() -> None:
    exchange = parse_client_first(RFC_CLIENT_FIRST)
    assert exchange.username == "user"
    assert exchange.authzid is None
    assert exchange.state is ScramState.NEED_CREDENTIALS
    assert exchange.server_first(PENCIL, server_nonce=RFC_SERVER_NONCE) == RFC_SERVER_FIRST
    assert state_of(exchange) is ScramState.NEED_CLIENT_FINAL
    assert exchange.verify_client_final(RFC_CLIENT_FINAL) == RFC_SERVER_FINAL
    assert state_of(exchange) is ScramState.SUCCEEDED


def test_rfc7677_example_with_another_password_fails() -> None:
    exchange = parse_client_first(RFC_CLIENT_FIRST)
    exchange.server_first(
        derive_scram_credentials("pencil2", RFC_SALT, 4096), server_nonce=RFC_SERVER_NONCE
    )
    with pytest.raises(AuthenticationFailed):
        exchange.verify_client_final(RFC_CLIENT_FINAL)
    assert exchange.state is ScramState.FAILED


def test_right_proof_for_fake_credentials_still_fails() -> None:
    # The store hands out fake credentials for unknown names; even if a proof matched them,
    # known=False must refuse.
    exchange = parse_client_first(RFC_CLIENT_FIRST)
    exchange.server_first(PENCIL, known=False, server_nonce=RFC_SERVER_NONCE)
    with pytest.raises(AuthenticationFailed):
        exchange.verify_client_final(RFC_CLIENT_FINAL)


# --- an independent client, written from RFC 5802 section 3 ----------------------------------


class ScramClient:
    """Just enough of a SCRAM-SHA-256 client to talk to the server side."""

    def __init__(self, user: str, password: str, nonce: str = "fyko+d2lbbFgONRv9qkxdawL") -> None:
        self.password = password.encode()
        self.gs2 = "n,,"
        self.bare = f"n={user.replace('=', '=3D').replace(',', '=2C')},r={nonce}"
        self.nonce = nonce
        self.auth_message = b""
        self.salted = b""

    def first(self) -> bytes:
        return (self.gs2 + self.bare).encode()

    def final(self, server_first: bytes, *, nonce: str | None = None) -> bytes:
        attrs = dict(item.split("=", 1) for item in server_first.decode().split(","))
        assert attrs["r"].startswith(self.nonce)
        self.salted = hashlib.pbkdf2_hmac(
            "sha256", self.password, base64.b64decode(attrs["s"]), int(attrs["i"])
        )
        binding = base64.b64encode(self.gs2.encode()).decode()
        without_proof = f"c={binding},r={nonce or attrs['r']}"
        self.auth_message = f"{self.bare},{server_first.decode()},{without_proof}".encode()
        client_key = hmac.new(self.salted, b"Client Key", "sha256").digest()
        stored_key = hashlib.sha256(client_key).digest()
        signature = hmac.new(stored_key, self.auth_message, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def check_server_final(self, server_final: bytes) -> bool:
        server_key = hmac.new(self.salted, b"Server Key", "sha256").digest()
        expected = hmac.new(server_key, self.auth_message, "sha256").digest()
        return server_final == b"v=" + base64.b64encode(expected)


def run(client: ScramClient, creds: ScramCredentials) -> bytes:
    exchange = parse_client_first(client.first())
    return exchange.verify_client_final(client.final(exchange.server_first(creds)))


def test_client_and_server_agree() -> None:
    creds = derive_scram_credentials("correct horse battery staple")
    client = ScramClient("alice", "correct horse battery staple")
    assert client.check_server_final(run(client, creds))


def test_wrong_password_is_refused() -> None:
    creds = derive_scram_credentials("correct horse battery staple")
    with pytest.raises(AuthenticationFailed):
        run(ScramClient("alice", "Tr0ub4dor&3"), creds)


def test_user_name_escapes_and_saslprep() -> None:
    exchange = parse_client_first(b"n,,n=a=2Cb=3Dc,r=abc")
    assert exchange.username == "a,b=c"
    # Non-ASCII space becomes a space, NFKC folds the ligature, soft hyphen vanishes.
    exchange = parse_client_first("n,,n=\ufb01x\u00a0y\u00ad,r=abc".encode())
    assert exchange.username == "fix y"


def test_password_is_saslprepped_before_hashing() -> None:
    salt = b"0123456789abcdef"
    assert derive_scram_credentials("I\u00adX", salt, 10) == derive_scram_credentials(
        "IX", salt, 10
    )
    with pytest.raises(ValueError):
        derive_scram_credentials("bad\x07password")


def test_authzid_equal_to_user_is_accepted_other_refused() -> None:
    assert parse_client_first(b"n,a=Alice,n=alice,r=x").authzid == "Alice"
    with pytest.raises(SaslMalformed, match="another user"):
        parse_client_first(b"n,a=bob,n=alice,r=x")


def test_y_flag_is_accepted_and_bound() -> None:
    creds = derive_scram_credentials("pw12345678", iterations=16)
    client = ScramClient("alice", "pw12345678")
    client.gs2 = "y,,"
    assert client.check_server_final(run(client, creds))


@pytest.mark.parametrize(
    "message",
    [
        b"p=tls-unique,,n=user,r=abc",  # channel binding: not supported
        b"x,,n=user,r=abc",
        b"n,,m=ext,n=user,r=abc",
        b"n,,n=user",
        b"n,,r=abc,n=user",
        b"n,,n=,r=abc",
        b"n,,n=us=er,r=abc",
        b"n,,n=user,r=",
        b"n,,n=user,r=a\x01b",
        b"n,,n=user,r=abc,junk",
        b"n,,n=us\x07er,r=abc",
        b"n,b=x,n=user,r=abc",
        b"n,,",
        b"n",
        b"\xff\xfe",
    ],
)
def test_malformed_client_first(message: bytes) -> None:
    with pytest.raises(SaslMalformed):
        parse_client_first(message)


def final_for(client: ScramClient) -> tuple[bytes, bytes]:
    exchange = parse_client_first(client.first())
    server_first = exchange.server_first(PENCIL)
    return server_first, client.final(server_first)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda m: m.replace(b"c=biws", b"c=eSws"),  # binding says "y,,", first said "n,,"
        lambda m: m.replace(b"c=biws", b"c=!!!"),
        lambda m: m.split(b",p=")[0],  # no proof
        lambda m: m.replace(b"c=biws,", b""),
        lambda m: m.split(b",p=")[0] + b",p=AAAA",  # proof too short
        lambda m: m + b"\xff",
        lambda m: m.replace(b",p=", b",junk,p="),
    ],
)
def test_malformed_client_final(mangle: object) -> None:
    client = ScramClient("user", "pencil")
    exchange = parse_client_first(client.first())
    final = client.final(exchange.server_first(PENCIL))
    with pytest.raises(SaslMalformed):
        exchange.verify_client_final(mangle(final))  # type: ignore[operator]
    assert exchange.state is ScramState.FAILED


def test_nonce_must_be_the_combined_one() -> None:
    client = ScramClient("user", "pencil")
    exchange = parse_client_first(client.first())
    server_first = exchange.server_first(PENCIL)
    with pytest.raises(SaslMalformed, match="nonce"):
        exchange.verify_client_final(client.final(server_first, nonce=client.nonce + "other"))


def test_methods_out_of_order_are_local_errors() -> None:
    exchange = parse_client_first(RFC_CLIENT_FIRST)
    with pytest.raises(LocalProtocolError):
        exchange.verify_client_final(RFC_CLIENT_FINAL)
    exchange.server_first(PENCIL, server_nonce=RFC_SERVER_NONCE)
    with pytest.raises(LocalProtocolError):
        exchange.server_first(PENCIL)
    exchange.verify_client_final(RFC_CLIENT_FINAL)
    with pytest.raises(LocalProtocolError):  # no replay on a finished exchange
        exchange.verify_client_final(RFC_CLIENT_FINAL)
    with pytest.raises(LocalProtocolError):
        parse_client_first(RFC_CLIENT_FIRST).server_first(PENCIL, server_nonce="a,b")


def test_server_nonces_are_fresh() -> None:
    nonces = {parse_client_first(RFC_CLIENT_FIRST).server_first(PENCIL) for _ in range(20)}
    assert len(nonces) == 20


def test_credentials_are_checked() -> None:
    with pytest.raises(ValueError):
        ScramCredentials(b"", 4096, bytes(32), bytes(32))
    with pytest.raises(ValueError):
        ScramCredentials(b"s", 0, bytes(32), bytes(32))
    with pytest.raises(ValueError):
        ScramCredentials(b"s", 1, bytes(31), bytes(32))


def test_errors_are_remote_protocol_errors_with_replies() -> None:
    assert issubclass(SaslError, RemoteProtocolError)
    assert SaslMalformed("x").numeric == "904"
    assert AuthenticationFailed("x").numeric == "904"
    assert SaslTooLong("x").numeric == "905"
    assert SaslMalformed("x").command == "AUTHENTICATE"


# --- SASLprep, lite -----------------------------------------------------------------------


def test_saslprep() -> None:
    assert saslprep("plain ascii") == "plain ascii"
    assert saslprep("I\u00adX") == "IX"  # RFC 4013 section 3, example 1
    assert saslprep("\u00aa") == "a"  # example 3: NFKC
    assert saslprep("\u2168") == "IX"  # example 4
    assert saslprep("a\u2003b") == "a b"
    for bad in ("a\x07b", "a\x00", "\x7f", "a\u0085b", "\ue000"):  # example 5 and friends
        with pytest.raises(ValueError):
            saslprep(bad)


# --- PLAIN ----------------------------------------------------------------------------------


def test_decode_plain() -> None:
    assert decode_plain(b"\x00tim\x00tanstaaftanstaaf") == ("", "tim", "tanstaaftanstaaf")
    assert decode_plain(b"Ursel\x00Kurt\x00xipj3plmq") == ("Ursel", "Kurt", "xipj3plmq")
    assert decode_plain("\x00j\u00f6rg\x00p\u00e4ss".encode()) == ("", "j\u00f6rg", "p\u00e4ss")


@pytest.mark.parametrize(
    "message",
    [b"", b"user\x00pass", b"\x00\x00pass", b"\x00user\x00", b"a\x00b\x00c\x00d", b"\x00u\x00\xff"],
)
def test_decode_plain_malformed(message: bytes) -> None:
    with pytest.raises(SaslMalformed):
        decode_plain(message)


@given(st.binary(max_size=64))
def test_decode_plain_never_raises_anything_else(data: bytes) -> None:
    try:
        authzid, authcid, password = decode_plain(data)
    except SaslMalformed:
        return
    assert authcid and password and "\x00" not in authzid + authcid + password


@given(st.binary(max_size=96))
def test_scram_parsers_never_raise_anything_else(data: bytes) -> None:
    try:
        exchange = parse_client_first(data)
    except SaslMalformed:
        exchange = parse_client_first(RFC_CLIENT_FIRST)
    exchange.server_first(PENCIL)
    with pytest.raises(SaslError):
        exchange.verify_client_final(data)


# --- AUTHENTICATE framing -----------------------------------------------------------------


def feed_all(chunks: SaslChunks, params: list[str]) -> bytes:
    results = [chunks.feed(param) for param in params]
    assert results[:-1] == [None] * (len(params) - 1)
    last = results[-1]
    assert last is not None
    return last


@pytest.mark.parametrize("size", [0, 1, 299, 300, 301, 600, 899, 900, 3000])
def test_chunks_round_trip(size: int) -> None:
    data = bytes(range(256)) * 12
    data = data[:size]
    params = encode_chunks(data)
    assert all(len(p) <= CHUNK_SIZE for p in params)
    assert feed_all(SaslChunks(), params) == data


def test_encode_chunks_shapes() -> None:
    assert encode_chunks(b"") == ["+"]
    assert encode_chunks(b"abc") == ["YWJj"]
    exactly = encode_chunks(bytes(300))  # 400 base64 bytes: needs the "+" terminator
    assert [len(p) for p in exactly] == [400, 1] and exactly[-1] == "+"
    assert [len(p) for p in encode_chunks(bytes(301))] == [400, 4]


def test_plus_alone_is_the_empty_payload() -> None:
    chunks = SaslChunks()
    assert chunks.feed("+") == b""
    assert not chunks.pending


def test_chunk_over_400_bytes_is_refused() -> None:
    chunks = SaslChunks()
    with pytest.raises(SaslTooLong):
        chunks.feed("A" * 401)
    assert not chunks.pending


def test_total_is_bounded() -> None:
    chunks = SaslChunks(max_bytes=1000)
    for _ in range(3):
        assert chunks.feed("A" * 400) is None
    assert chunks.pending
    with pytest.raises(SaslTooLong):
        chunks.feed("A" * 400)  # refused as it arrives, before any decoding
    assert not chunks.pending
    for _ in range(3):
        chunks.feed("A" * 400)
    with pytest.raises(SaslTooLong):
        chunks.feed("A" * 136)  # 1336 base64 bytes are 1002 bytes decoded
    assert not chunks.pending
    assert chunks.feed("YWJj") == b"abc"  # usable again


def test_bad_base64_is_malformed_and_resets() -> None:
    chunks = SaslChunks()
    for bad in ("not base64!", "YWJ", "*", "\u00e9\u00e9\u00e9\u00e9", ""):
        with pytest.raises(SaslMalformed):
            chunks.feed(bad)
        assert not chunks.pending


def test_reset_forgets_a_partial_payload() -> None:
    chunks = SaslChunks()
    chunks.feed("A" * 400)
    chunks.reset()
    assert chunks.feed("YWJj") == b"abc"


@given(st.lists(st.text(max_size=410), max_size=12))
def test_chunks_never_raise_anything_else(params: list[str]) -> None:
    chunks = SaslChunks(max_bytes=2000)
    for param in params:
        try:
            payload = chunks.feed(param)
        except SaslError:
            continue
        assert payload is None or len(payload) <= 2000
