"""The client side of SCRAM-SHA-256 against the server side in chatroom.protocol.sasl."""

from __future__ import annotations

import pytest

from chatroom.client.scram import ScramClient, ScramError
from chatroom.errors import RemoteProtocolError
from chatroom.protocol.sasl import derive_scram_credentials, parse_client_first


def exchange(password: str, stored_for: str) -> None:
    client = ScramClient("alice", password)
    server = parse_client_first(client.first())
    assert server.username == "alice"
    first = server.server_first(derive_scram_credentials(stored_for))
    final = server.verify_client_final(client.final(first))
    client.verify(final)


def test_scram_round_trip_with_the_servers_implementation() -> None:
    exchange("pässwörd with spaces", "pässwörd with spaces")


def test_wrong_password_is_refused_by_the_server() -> None:
    with pytest.raises(RemoteProtocolError):
        exchange("wrong", "right")


def test_a_fake_server_signature_is_refused() -> None:
    client = ScramClient("alice", "pw", nonce="abc")
    client.final(b"r=abcdef,s=c2FsdA==,i=4096")
    with pytest.raises(ScramError, match="not the real server"):
        client.verify(b"v=AAAA")


@pytest.mark.parametrize(
    "server_first",
    [b"r=zzz,s=c2FsdA==,i=4096", b"r=abcdef,s=c2FsdA==,i=10", b"e=other-error", b"junk"],
)
def test_bad_server_first_messages_are_refused(server_first: bytes) -> None:
    with pytest.raises(ScramError):
        ScramClient("alice", "pw", nonce="abc").final(server_first)


def test_names_with_commas_are_escaped() -> None:
    assert ScramClient("a,b=c", "pw", nonce="n").first() == b"n,,n=a=2Cb=3Dc,r=n"
