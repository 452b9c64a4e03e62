"""Short-lived tokens a connected session gets to upload files (issue 19).

The convention, not invented here: the session asks with ``EXTJWT *`` (IRCv3 draft
https://ircv3.net/specs/extensions/extjwt, which Kiwi IRC already uses for uploads) and
gets a JWT (RFC 7519, HS256); it sends it back on the upload as ``Authorization: Bearer
<token>`` (RFC 6750; soju's filehost spec names Bearer for token logins). So a client
never has to keep a password to share a file, and a session without an account can share
too.

The rules this file keeps:

* A token is signed (HS256) and names a random ``jti`` that starts with the issuing
  process's own random prefix. A token of this process is accepted only while it is in
  :class:`UploadTokens`' table: unexpired, and its session still connected (QUIT, or any
  disconnect, ends every token of the session).
* Several processes, one network (``--cluster``, ``--workers``): they sign with one
  network-wide secret (:meth:`UploadTokens.share_secret`, drawn once and kept in Redis:
  :mod:`chatroom.cluster.secret`), so a token another process issued is accepted here on
  its signature and ``exp`` alone. That process alone knows when its session ends, so such
  a token cannot be revoked here: it stays good until it expires, which is why tokens are
  short-lived. Without a shared secret, each process draws its own and accepts only its
  own tokens.
* It lives :data:`LIFETIME` seconds: long enough to start an upload after asking, short
  enough that a leaked one (or one of a session that has ended on another process) is
  soon worthless.
* Quota and rate are counted per account (the one logged in at upload time for this
  process's tokens; the token's ``account`` claim for another's), else per session: the
  token's ``sid`` claim, a random key of the session (:attr:`Grant.owner` ``~guest-<sid>``).
* A session holds at most :data:`PER_SESSION` live tokens; asking for more drops its
  oldest, so a client looping on EXTJWT cannot grow the table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["LIFETIME", "PER_SESSION", "Grant", "Holder", "UploadTokens"]

LIFETIME = 300.0
"""Seconds a token is accepted after it is issued."""
PER_SESSION = 4
"""Live tokens one session may hold; a fifth replaces the oldest."""

_HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Holder(Protocol):
    """What a token is bound to: a session (``Session``), seen only through this."""

    @property
    def account(self) -> str | None: ...

    @property
    def closed(self) -> bool: ...


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: uploads by ``session`` (None: a session of another
    process), counted against ``owner``; ``account`` is None for a guest."""

    session: Holder | None
    owner: str  # the account, else the session's own key ("~guest-<sid>")
    expires: float  # Unix time
    account: str | None = None


@dataclass
class _Issued:
    session: Holder
    expires: float


class UploadTokens:
    """The live tokens of one server process; see the module."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._secret = secrets.token_bytes(32)
        self._shared = False
        self._prefix = secrets.token_hex(4) + "-"  # this process's jti start
        self._issued: dict[str, _Issued] = {}  # jti -> session and expiry, oldest first
        self._guest_keys: dict[Holder, str] = {}

    def share_secret(self, secret: bytes) -> None:
        """Sign with ``secret``, the network's (at least 32 bytes), from now on, and
        accept the other processes' tokens signed with it. Call before serving."""
        if len(secret) < 32:
            raise ValueError("the shared token secret must be at least 32 bytes")
        self._secret = secret
        self._shared = True
        self._issued.clear()  # signed with the old secret: no longer verifiable

    def issue(self, session: Holder, issuer: str, claims: dict[str, object]) -> str:
        """A new token for ``session`` (EXTJWT's claims: ``sub``, ``account``, …, plus
        ``exp``, ``iss``, ``jti`` and ``sid``)."""
        self._forget_stale()
        mine = [jti for jti, issued in self._issued.items() if issued.session is session]
        for jti in mine[: max(len(mine) - PER_SESSION + 1, 0)]:
            del self._issued[jti]
        jti = self._prefix + secrets.token_urlsafe(16)
        expires = self.clock() + LIFETIME
        self._issued[jti] = _Issued(session, expires)
        sid = self._guest_keys.setdefault(session, secrets.token_hex(8))
        payload = {**claims, "exp": int(expires), "iss": issuer, "jti": jti, "sid": sid}
        signed = _b64(json.dumps(_HEADER).encode()) + "." + _b64(json.dumps(payload).encode())
        return signed + "." + _b64(self._sign(signed))

    def check(self, token: str) -> Grant | None:
        """The grant of ``token``, or None if it is not signed by us (or the network),
        expired, or its session here has gone (the same answer for each: nothing to
        probe)."""
        try:
            signed, _, signature = token.rpartition(".")
            if not hmac.compare_digest(_unb64(signature), self._sign(signed)):
                return None
            payload = json.loads(_unb64(signed.partition(".")[2]))
            jti, sid, account = payload["jti"], payload["sid"], payload.get("account")
            expires = float(payload["exp"])
        except (ValueError, KeyError, TypeError, AttributeError):  # binascii.Error: ValueError
            return None
        if not isinstance(jti, str) or not isinstance(sid, str) or expires <= self.clock():
            return None
        if not jti.startswith(self._prefix):
            if not self._shared:
                return None
            # Another process's: its session's end is not known here (the module).
            named = account if isinstance(account, str) and account else None
            return Grant(None, named or "~guest-" + sid, expires, named)
        issued = self._issued.get(jti)
        if issued is None or issued.session.closed or issued.expires <= self.clock():
            return None
        session = issued.session
        owner = session.account or "~guest-" + self._guest_keys.get(session, sid)
        return Grant(session, owner, issued.expires, session.account)

    def _sign(self, signed: str) -> bytes:
        return hmac.new(self._secret, signed.encode("ascii"), hashlib.sha256).digest()

    def _forget_stale(self) -> None:
        now = self.clock()
        for jti, issued in list(self._issued.items()):
            if issued.expires <= now or issued.session.closed:
                del self._issued[jti]
        for session in [s for s in self._guest_keys if s.closed]:
            del self._guest_keys[session]

    def __len__(self) -> int:
        return len(self._issued)
