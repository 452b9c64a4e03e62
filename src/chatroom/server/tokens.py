"""Short-lived tokens a connected session gets to upload files (issue 19).

The convention, not invented here: the session asks with ``EXTJWT *`` (IRCv3 draft
https://ircv3.net/specs/extensions/extjwt, which Kiwi IRC already uses for uploads) and
gets a JWT (RFC 7519, HS256); it sends it back on the upload as ``Authorization: Bearer
<token>`` (RFC 6750; soju's filehost spec names Bearer for token logins). So a client
never has to keep a password to share a file, and a session without an account can share
too.

The rules this file keeps:

* A token is signed with a random per-process secret and names a random ``jti`` kept in
  :class:`UploadTokens`; only a token this process issued, unexpired, whose session is
  still connected, is accepted. QUIT (or any disconnect) ends every token of the session.
* It lives :data:`LIFETIME` seconds: long enough to start an upload after asking, short
  enough that a leaked one is soon worthless.
* Quota and rate are counted per account when the session is logged in at upload time,
  else per session (a key of its own, :attr:`Grant.owner`).
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
    """What a valid token allows: uploads by ``session``, counted against ``owner``."""

    session: Holder
    owner: str  # the account logged in now, else the session's own key ("~guest-…")
    expires: float  # Unix time


@dataclass
class _Issued:
    session: Holder
    expires: float


class UploadTokens:
    """The live tokens of one server process; see the module."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._secret = secrets.token_bytes(32)
        self._issued: dict[str, _Issued] = {}  # jti -> session and expiry, oldest first
        self._guest_keys: dict[Holder, str] = {}

    def issue(self, session: Holder, issuer: str, claims: dict[str, object]) -> str:
        """A new token for ``session`` (EXTJWT's claims: ``sub``, ``account``, …, plus
        ``exp``, ``iss`` and ``jti``)."""
        self._forget_stale()
        mine = [jti for jti, issued in self._issued.items() if issued.session is session]
        for jti in mine[: max(len(mine) - PER_SESSION + 1, 0)]:
            del self._issued[jti]
        jti = secrets.token_urlsafe(16)
        expires = self.clock() + LIFETIME
        self._issued[jti] = _Issued(session, expires)
        payload = {**claims, "exp": int(expires), "iss": issuer, "jti": jti}
        signed = _b64(json.dumps(_HEADER).encode()) + "." + _b64(json.dumps(payload).encode())
        return signed + "." + _b64(self._sign(signed))

    def check(self, token: str) -> Grant | None:
        """The grant of ``token``, or None if it is not one of ours, expired, or its
        session has gone (the same answer for each: nothing to probe)."""
        try:
            signed, _, signature = token.rpartition(".")
            if not hmac.compare_digest(_unb64(signature), self._sign(signed)):
                return None
            jti = json.loads(_unb64(signed.partition(".")[2]))["jti"]
        except (ValueError, KeyError, TypeError):  # binascii.Error is a ValueError
            return None
        issued = self._issued.get(jti) if isinstance(jti, str) else None
        if issued is None or issued.session.closed or issued.expires <= self.clock():
            return None
        session = issued.session
        owner = session.account or self._guest_keys.setdefault(
            session, "~guest-" + secrets.token_hex(8)
        )
        return Grant(session, owner, issued.expires)

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
