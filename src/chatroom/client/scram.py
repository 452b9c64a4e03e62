"""The client side of SASL SCRAM-SHA-256, sans I/O (RFC 5802 with RFC 7677).

Written from the RFC (sections 3, 5 and 7), without channel binding (GS2
header ``n,,``): the exchange is

1. :meth:`ScramClient.first` -> ``n,,n=<user>,r=<client nonce>``;
2. :meth:`ScramClient.final` (the server's ``r=<nonce>,s=<salt>,i=<count>``)
   -> ``c=biws,r=<nonce>,p=<proof>``;
3. :meth:`ScramClient.verify` (the server's ``v=<signature>``): proves the
   server knew our verifier, i.e. that it is the real server.

Any departure from the grammar, a nonce that does not extend ours, too few
iterations or a wrong server signature raises :class:`ScramError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from chatroom.protocol.sasl import saslprep

MIN_ITERATIONS = 4096  # RFC 7677 section 4: a server asking for fewer is refused


class ScramError(Exception):
    """The server's side of the exchange is wrong; ``str()`` says how."""


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _saslname(name: str) -> str:
    # RFC 5802 section 5.1: "," and "=" are escaped in user names.
    return saslprep(name).replace("=", "=3D").replace(",", "=2C")


def _fields(message: bytes) -> dict[str, str]:
    try:
        text = message.decode("utf-8")
    except UnicodeDecodeError:
        raise ScramError("the server's SCRAM message is not UTF-8") from None
    fields: dict[str, str] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep or len(name) != 1:
            raise ScramError("the server's SCRAM message is malformed")
        fields.setdefault(name, value)
    return fields


class ScramClient:
    """One SCRAM-SHA-256 login as ``username`` with ``password``. Call
    :meth:`first`, :meth:`final` and :meth:`verify` in that order, once each."""

    def __init__(self, username: str, password: str, nonce: str | None = None) -> None:
        self._username = username
        self._password = password
        self._nonce = nonce or secrets.token_urlsafe(18)
        self._bare = f"n={_saslname(username)},r={self._nonce}"
        self._server_signature: bytes | None = None

    def first(self) -> bytes:
        """The client-first message."""
        return ("n,," + self._bare).encode("utf-8")

    def final(self, server_first: bytes) -> bytes:
        """The client-final message, with the proof that we know the password."""
        fields = _fields(server_first)
        if "e" in fields:
            raise ScramError(f"the server refused: {fields['e']}")
        nonce, salt_text, count = fields.get("r", ""), fields.get("s", ""), fields.get("i", "")
        if not nonce.startswith(self._nonce) or len(nonce) <= len(self._nonce):
            raise ScramError("the server's SCRAM nonce does not extend ours")
        if not count.isdigit() or int(count) < MIN_ITERATIONS:
            raise ScramError("the server asks for too few SCRAM iterations")
        try:
            salt = base64.b64decode(salt_text, validate=True)
        except (binascii.Error, ValueError):
            raise ScramError("the server's SCRAM salt is not base64") from None
        salted = hashlib.pbkdf2_hmac(
            "sha256", saslprep(self._password).encode("utf-8"), salt, int(count)
        )
        client_key = _hmac(salted, b"Client Key")
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c={base64.b64encode(b'n,,').decode()},r={nonce}"
        auth = ",".join((self._bare, server_first.decode("utf-8"), without_proof)).encode()
        signature = _hmac(stored_key, auth)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self._server_signature = _hmac(_hmac(salted, b"Server Key"), auth)
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def verify(self, server_final: bytes) -> None:
        """Check the server's signature; raises :class:`ScramError` if wrong."""
        fields = _fields(server_final)
        if "e" in fields:
            raise ScramError(f"the server refused: {fields['e']}")
        if self._server_signature is None:
            raise ScramError("the server finished the SCRAM exchange too early")
        try:
            signature = base64.b64decode(fields.get("v", ""), validate=True)
        except (binascii.Error, ValueError):
            raise ScramError("the server's SCRAM signature is not base64") from None
        if not hmac.compare_digest(signature, self._server_signature):
            raise ScramError("the server's SCRAM signature is wrong: it is not the real server")
