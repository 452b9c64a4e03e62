"""SASL for IRC, sans I/O: PLAIN, the server side of SCRAM-SHA-256, and AUTHENTICATE framing.

Specifications implemented:

* PLAIN, RFC 4616: :func:`decode_plain`.
* SCRAM-SHA-256, RFC 5802 (SCRAM) with RFC 7677 (the SHA-256 variant), server side only,
  without channel binding: :func:`parse_client_first` → :class:`ScramExchange`.
  Stored verifiers come from :func:`derive_scram_credentials`; the password never needs to
  be kept.
* The IRCv3 wire format of SASL payloads (https://ircv3.net/specs/extensions/sasl-3.1,
  "The AUTHENTICATE command"): base64 in chunks of 400 bytes, ``+`` for an empty payload
  or to end one whose last chunk was exactly 400 bytes: :class:`SaslChunks` (client → us)
  and :func:`encode_chunks` (us → client).

Nothing here performs I/O, reads a clock or looks up an account: a SCRAM exchange stops
between the client's first message and the server's reply so that the caller can fetch the
stored credentials however it likes (asynchronously, from a store in another thread).

Errors (all :class:`~chatroom.errors.RemoteProtocolError`, ``command="AUTHENTICATE"``; the
class attribute ``numeric`` is the reply to send)::

    RemoteProtocolError
    └── SaslError                 904 ERR_SASLFAIL
        ├── SaslMalformed         904: the payload breaks the mechanism's grammar
        ├── SaslTooLong           905 ERR_SASLTOOLONG: a chunk over 400 bytes, or a payload
        │                         over the size limit
        └── AuthenticationFailed  904: wrong password (PLAIN is checked by the caller; this
                                  is raised by the SCRAM proof check)

A failed exchange cannot be resumed: the client starts again with ``AUTHENTICATE <mech>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from enum import Enum

from chatroom.errors import LocalProtocolError, RemoteProtocolError
from chatroom.protocol.casemap import casefold

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_ITERATIONS",
    "MAX_PAYLOAD",
    "MECHANISMS",
    "AuthenticationFailed",
    "SaslChunks",
    "SaslError",
    "SaslMalformed",
    "SaslTooLong",
    "ScramCredentials",
    "ScramExchange",
    "ScramState",
    "decode_plain",
    "derive_scram_credentials",
    "encode_chunks",
    "parse_client_first",
    "saslprep",
]

#: The mechanisms this module implements, as advertised in ``sasl=`` and RPL_SASLMECHS (908).
MECHANISMS = ("PLAIN", "SCRAM-SHA-256")
#: Bytes of base64 per AUTHENTICATE parameter (IRCv3 sasl-3.1).
CHUNK_SIZE = 400
#: Default limit on one decoded SASL payload. PLAIN with a 300-byte password and two 32-byte
#: names, or a SCRAM message, is far smaller; the limit bounds what a client can make us buffer.
MAX_PAYLOAD = 4096
#: PBKDF2 iterations for new SCRAM verifiers: RFC 7677 section 4 asks for at least 4096.
DEFAULT_ITERATIONS = 4096

_HASH = "sha256"
_KEY_LEN = hashlib.sha256().digest_size  # 32


# --- errors --------------------------------------------------------------------------------


class SaslError(RemoteProtocolError):
    """The client's SASL payload is refused; reply ``numeric`` and forget the exchange."""

    numeric = "904"  # ERR_SASLFAIL

    def __init__(self, message: str) -> None:
        super().__init__(message, "AUTHENTICATE")


class SaslMalformed(SaslError):
    """The payload does not follow the mechanism's grammar (or uses what we do not support,
    such as SCRAM channel binding)."""


class SaslTooLong(SaslError):
    """An AUTHENTICATE parameter is over 400 bytes, or the payload is over the limit."""

    numeric = "905"  # ERR_SASLTOOLONG


class AuthenticationFailed(SaslError):
    """The credentials are wrong (or the account does not exist: the two look the same)."""


# --- SASLprep, lite ------------------------------------------------------------------------

# RFC 3454 table B.1, "commonly mapped to nothing" (used by RFC 4013 section 2.2).
_MAPPED_TO_NOTHING = frozenset(
    "\u00ad\u034f\u1806\u180b\u180c\u180d\u200b\u200c\u200d\u2060\ufeff"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
# Control characters, surrogates and private use are prohibited by RFC 4013 section 2.3.
_PROHIBITED_CATEGORIES = frozenset({"Cc", "Cs", "Co"})


def saslprep(text: str) -> str:
    """Normalise a user name or password the way RFC 4013 (SASLprep) mostly does.

    Non-ASCII spaces become U+0020, characters "commonly mapped to nothing" are removed,
    the result is NFKC-normalised, and control, surrogate and private-use characters are
    refused with :class:`ValueError`. Not implemented (hence "lite"): the bidirectional
    rule and the unassigned-code-point check, which would pin us to one Unicode version.
    For ASCII without control characters this is the identity.
    """
    if text.isascii():
        if any(ord(c) < 0x20 or c == "\x7f" for c in text):
            raise ValueError("contains a control character")
        return text
    mapped = "".join(
        " " if unicodedata.category(c) == "Zs" else c for c in text if c not in _MAPPED_TO_NOTHING
    )
    normalized = unicodedata.normalize("NFKC", mapped)
    for c in normalized:
        if unicodedata.category(c) in _PROHIBITED_CATEGORIES:
            raise ValueError(f"contains a prohibited character U+{ord(c):04X}")
    return normalized


# --- PLAIN (RFC 4616) --------------------------------------------------------------------------


def decode_plain(data: bytes) -> tuple[str, str, str]:
    """Split a PLAIN message into ``(authzid, authcid, password)``.

    RFC 4616 section 2: ``[authzid] NUL authcid NUL passwd``, UTF-8, where authcid and
    passwd are not empty; authzid is ``""`` when absent. The strings are returned as sent:
    normalising (:func:`saslprep`) and checking the password is the caller's job, and so is
    refusing an authzid that names another account than authcid (we support no proxying).
    Raises :class:`SaslMalformed`.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SaslMalformed("the PLAIN message is not valid UTF-8") from None
    parts = text.split("\x00")
    if len(parts) != 3:
        raise SaslMalformed("a PLAIN message has exactly three NUL-separated fields")
    authzid, authcid, password = parts
    if not authcid or not password:
        raise SaslMalformed("the PLAIN user name and password may not be empty")
    return authzid, authcid, password


# --- SCRAM-SHA-256 (RFC 5802, RFC 7677) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScramCredentials:
    """What the server stores for SCRAM instead of a password (RFC 5802 section 3):
    ``salt``, ``iterations``, ``StoredKey = H(ClientKey)`` and ``ServerKey``.

    Knowing these lets one impersonate the *server*, not log in as the user, but they should
    be kept as secret as password hashes.
    """

    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes

    def __post_init__(self) -> None:
        if not self.salt:
            raise ValueError("the SCRAM salt may not be empty")
        if self.iterations < 1:
            raise ValueError("SCRAM iterations must be positive")
        if len(self.stored_key) != _KEY_LEN or len(self.server_key) != _KEY_LEN:
            raise ValueError(f"SCRAM-SHA-256 keys are {_KEY_LEN} bytes long")


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, _HASH).digest()


def derive_scram_credentials(
    password: str, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS
) -> ScramCredentials:
    """The SCRAM-SHA-256 verifier of *password* (RFC 5802 section 3).

    ``SaltedPassword = Hi(SASLprep(password), salt, i)`` (PBKDF2-HMAC-SHA-256);
    ``ClientKey = HMAC(SaltedPassword, "Client Key")``, ``StoredKey = H(ClientKey)``,
    ``ServerKey = HMAC(SaltedPassword, "Server Key")``. *salt* defaults to 16 random bytes.
    Raises :class:`ValueError` if :func:`saslprep` refuses the password. Costs *iterations*
    HMACs (a few milliseconds at 4096): keep it off an event loop when that matters.
    """
    if salt is None:
        salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac(_HASH, saslprep(password).encode("utf-8"), salt, iterations)
    client_key = _hmac(salted, b"Client Key")
    return ScramCredentials(
        salt=salt,
        iterations=iterations,
        stored_key=hashlib.sha256(client_key).digest(),
        server_key=_hmac(salted, b"Server Key"),
    )


class ScramState(Enum):
    """Where a :class:`ScramExchange` is; each method is allowed in one state only."""

    NEED_CREDENTIALS = "need-credentials"  # client-first parsed; call server_first()
    NEED_CLIENT_FINAL = "need-client-final"  # server-first sent; call verify_client_final()
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SaslMalformed(f"the SCRAM {what} is not valid base64") from None


def _is_printable(value: str) -> bool:
    # RFC 5802 section 7, "printable": %x21-2B / %x2D-7E (visible ASCII except ",").
    return bool(value) and all("\x21" <= c <= "\x7e" and c != "," for c in value)


def _decode_saslname(value: str) -> str:
    # RFC 5802 section 5.1 "n=": "," is sent as "=2C" and "=" as "=3D"; any other "=" is an
    # error. The name is then SASLprep'd, as the server "SHOULD" do.
    if value.replace("=2C", "").replace("=3D", "").count("="):
        raise SaslMalformed("the SCRAM user name has a bad '=' escape")
    name = value.replace("=2C", ",").replace("=3D", "=")
    try:
        name = saslprep(name)
    except ValueError as exc:
        raise SaslMalformed(f"the SCRAM user name {exc}") from None
    if not name:
        raise SaslMalformed("the SCRAM user name is empty")
    return name


def _attribute(part: str, name: str, what: str) -> str:
    if not part.startswith(name + "="):
        raise SaslMalformed(f"the SCRAM {what} must start with {name}=")
    return part[len(name) + 1 :]


def _check_extensions(parts: list[str]) -> None:
    # Optional extensions are "attr=value" with a single-letter attr; unknown ones are
    # ignored (RFC 5802 section 5.1), but junk is not an extension.
    for part in parts:
        if len(part) < 2 or part[1] != "=" or not part[0].isascii() or not part[0].isalpha():
            raise SaslMalformed("the SCRAM message has a malformed attribute")


class ScramExchange:
    """The server side of one SCRAM-SHA-256 authentication, as a state machine.

    Made by :func:`parse_client_first`. The caller then:

    1. looks up credentials for :attr:`username` (unknown users get deterministic fake
       credentials, so that the reply does not reveal whether the account exists), and
       sends ``server_first(credentials, known=...)`` to the client;
    2. passes the client's final message to :meth:`verify_client_final`, which returns the
       server-final message (send it as an AUTHENTICATE challenge, wait for the client's
       empty ``AUTHENTICATE +``, then reply 900/903) or raises :class:`SaslError`.

    Calling a method out of order raises :class:`~chatroom.errors.LocalProtocolError`.
    """

    def __init__(
        self, username: str, authzid: str | None, client_nonce: str, gs2_header: str, bare: str
    ) -> None:
        """Private: use :func:`parse_client_first`."""
        self.username = username
        """The user name the client authenticates as: SASLprep'd, not casefolded."""
        self.authzid = authzid
        """The authorisation identity, only ever None or equal to the user name (casefolded);
        the exchange refused any other."""
        self.state = ScramState.NEED_CREDENTIALS
        self._client_nonce = client_nonce
        self._gs2_header = gs2_header
        self._client_first_bare = bare
        self._nonce = ""
        self._server_first = ""
        self._credentials: ScramCredentials | None = None
        self._known = False

    def _expect(self, state: ScramState) -> None:
        if self.state is not state:
            raise LocalProtocolError(f"SCRAM exchange is {self.state.value}, not {state.value}")

    def server_first(
        self, credentials: ScramCredentials, *, known: bool = True, server_nonce: str | None = None
    ) -> bytes:
        """Return the server-first message ``r=<nonce>,s=<salt>,i=<iterations>``.

        *known* False (fake credentials for an unknown name) makes the exchange fail at the
        proof check whatever the client sends, after doing the same work as for a real one.
        *server_nonce* is for tests (the RFC 7677 vector); by default 18 random bytes.
        """
        self._expect(ScramState.NEED_CREDENTIALS)
        if server_nonce is None:
            server_nonce = secrets.token_urlsafe(18)
        elif not _is_printable(server_nonce):
            raise LocalProtocolError("a SCRAM nonce is visible ASCII without commas")
        self._nonce = self._client_nonce + server_nonce
        self._server_first = (
            f"r={self._nonce},s={_b64(credentials.salt)},i={credentials.iterations}"
        )
        self._credentials = credentials
        self._known = known
        self.state = ScramState.NEED_CLIENT_FINAL
        return self._server_first.encode("ascii")

    def verify_client_final(self, data: bytes) -> bytes:
        """Check the client-final message; return the server-final message ``v=<signature>``.

        Grammar (RFC 5802 section 7): ``c=<base64 gs2 header>,r=<nonce>[,ext...],p=<proof>``.
        The channel binding must repeat the gs2 header of the first message and the nonce
        must be the combined one; then ``H(ClientProof XOR HMAC(StoredKey, AuthMessage))``
        must equal StoredKey (section 3), compared in constant time. Raises
        :class:`SaslMalformed` or :class:`AuthenticationFailed`; either way the exchange is
        over.
        """
        self._expect(ScramState.NEED_CLIENT_FINAL)
        assert self._credentials is not None
        self.state = ScramState.FAILED  # until proven otherwise
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SaslMalformed("the SCRAM client-final message is not UTF-8") from None
        without_proof, sep, proof_text = text.rpartition(",p=")
        if not sep:
            raise SaslMalformed("the SCRAM client-final message has no proof (p=)")
        parts = without_proof.split(",")
        if len(parts) < 2:
            raise SaslMalformed("the SCRAM client-final message needs c= and r=")
        binding = _unb64(_attribute(parts[0], "c", "client-final message"), "channel binding")
        nonce = _attribute(parts[1], "r", "client-final nonce")
        _check_extensions(parts[2:])
        if not hmac.compare_digest(binding, self._gs2_header.encode("utf-8")):
            raise SaslMalformed("the SCRAM channel binding does not match the first message")
        if not hmac.compare_digest(nonce.encode("utf-8"), self._nonce.encode("ascii")):
            raise SaslMalformed("the SCRAM nonce does not match")
        proof = _unb64(proof_text, "proof")
        if len(proof) != _KEY_LEN:
            raise SaslMalformed(f"the SCRAM-SHA-256 proof is {_KEY_LEN} bytes long")

        auth_message = ",".join((self._client_first_bare, self._server_first, without_proof))
        auth_bytes = auth_message.encode("utf-8")
        creds = self._credentials
        client_signature = _hmac(creds.stored_key, auth_bytes)
        client_key = bytes(a ^ b for a, b in zip(proof, client_signature, strict=True))
        matches = hmac.compare_digest(hashlib.sha256(client_key).digest(), creds.stored_key)
        if not (matches and self._known):
            raise AuthenticationFailed("SCRAM authentication failed")
        self.state = ScramState.SUCCEEDED
        return b"v=" + _b64(_hmac(creds.server_key, auth_bytes)).encode("ascii")


def parse_client_first(data: bytes) -> ScramExchange:
    """Parse the client-first message and start an exchange (RFC 5802 section 5.1, 7).

    Grammar: ``gs2-cbind-flag "," [a=authzid] "," [m=…,] n=user,r=nonce[,ext…]``.
    The cbind flag must be ``n`` (client does not do channel binding) or ``y`` (client could,
    but thinks we cannot, which is true: we advertise no -PLUS mechanism, so section 6 lets
    us go on). ``p=`` (channel binding requested) and the reserved ``m=`` are refused, and
    so is an authzid other than the user name (compared casefolded: we support no proxy
    authorisation). Raises :class:`SaslMalformed`.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SaslMalformed("the SCRAM client-first message is not UTF-8") from None
    fields = text.split(",", 2)
    if len(fields) != 3:
        raise SaslMalformed("the SCRAM client-first message has no GS2 header")
    flag, authz_field, bare = fields
    if flag.startswith("p="):
        raise SaslMalformed("SCRAM channel binding is not supported")
    if flag not in ("n", "y"):
        raise SaslMalformed("the SCRAM GS2 channel-binding flag must be n, y or p=")
    authzid = _decode_saslname(_attribute(authz_field, "a", "authzid")) if authz_field else None

    parts = bare.split(",")
    if parts[0].startswith("m="):
        raise SaslMalformed("SCRAM mandatory extensions (m=) are not supported")
    if len(parts) < 2:
        raise SaslMalformed("the SCRAM client-first message needs n= and r=")
    username = _decode_saslname(_attribute(parts[0], "n", "client-first message"))
    nonce = _attribute(parts[1], "r", "client-first nonce")
    if not _is_printable(nonce):
        raise SaslMalformed("the SCRAM nonce must be visible ASCII without commas")
    _check_extensions(parts[2:])
    if authzid is not None and casefold(authzid) != casefold(username):
        raise SaslMalformed("authorising as another user than the one authenticating")
    gs2_header = f"{flag},{authz_field},"
    return ScramExchange(username, authzid, nonce, gs2_header, bare)


# --- IRCv3 AUTHENTICATE framing ----------------------------------------------------------------


class SaslChunks:
    """Reassembles a client's SASL payload from its AUTHENTICATE parameters (IRCv3 sasl-3.1).

    Feed each parameter to :meth:`feed`: it returns None while more chunks must follow (the
    last one was exactly 400 bytes), and the decoded payload once it is complete. A chunk
    over 400 bytes, or a payload over *max_bytes* once decoded, raises :class:`SaslTooLong`
    (a security limit: it bounds what a client can make us buffer); bad base64 raises
    :class:`SaslMalformed`. After either, the buffer is empty again.

    ``AUTHENTICATE *`` (abort) is not a chunk: the caller checks for it before feeding.
    """

    __slots__ = ("_buffer", "_max_encoded", "max_bytes")

    def __init__(self, max_bytes: int = MAX_PAYLOAD) -> None:
        self.max_bytes = max_bytes
        self._max_encoded = -(-max_bytes // 3) * 4  # base64 length of max_bytes bytes
        self._buffer: list[str] = []

    @property
    def pending(self) -> bool:
        """True when a payload has been started but not finished."""
        return bool(self._buffer)

    def reset(self) -> None:
        """Forget a half-received payload (the exchange was aborted)."""
        self._buffer.clear()

    def feed(self, chunk: str) -> bytes | None:
        """Take one AUTHENTICATE parameter; return the whole payload once it is complete."""
        if len(chunk.encode("utf-8")) > CHUNK_SIZE:
            self.reset()
            raise SaslTooLong(f"an AUTHENTICATE parameter is at most {CHUNK_SIZE} bytes")
        if not chunk:
            self.reset()
            raise SaslMalformed("an empty AUTHENTICATE parameter: an empty payload is '+'")
        if chunk != "+":
            self._buffer.append(chunk)
            if sum(map(len, self._buffer)) > self._max_encoded:
                self.reset()
                raise SaslTooLong(f"a SASL payload is at most {self.max_bytes} bytes")
            if len(chunk) == CHUNK_SIZE:
                return None
        encoded = "".join(self._buffer)
        self.reset()
        try:
            payload = base64.b64decode(encoded.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error, ValueError):
            raise SaslMalformed("the SASL payload is not valid base64") from None
        if len(payload) > self.max_bytes:
            raise SaslTooLong(f"a SASL payload is at most {self.max_bytes} bytes")
        return payload


def encode_chunks(data: bytes) -> list[str]:
    """The AUTHENTICATE parameters that carry *data* to the client (IRCv3 sasl-3.1).

    Base64 cut into 400-byte chunks; ``["+"]`` for empty data, and a trailing ``"+"`` when
    the last chunk is exactly 400 bytes so the client knows the payload ended.
    """
    encoded = _b64(data)
    chunks = [encoded[i : i + CHUNK_SIZE] for i in range(0, len(encoded), CHUNK_SIZE)]
    if not chunks or len(chunks[-1]) == CHUNK_SIZE:
        chunks.append("+")
    return chunks
