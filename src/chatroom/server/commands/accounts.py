"""Accounts: AUTHENTICATE (SASL PLAIN and SCRAM-SHA-256) and REGISTER.

- SASL: https://ircv3.net/specs/extensions/sasl-3.1 (and 3.2: allowed after
  registration too, so a user of a registered nick can log in late).
- REGISTER: https://ircv3.net/specs/extensions/account-registration (draft),
  offered as ``draft/account-registration=before-connect``; the account name
  is the user's nick.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.protocol.sasl import (
    MECHANISMS,
    SaslError,
    decode_plain,
    encode_chunks,
    parse_client_first,
)
from chatroom.server.addresses import is_loopback
from chatroom.server.auth import log_in
from chatroom.server.logins import SaslAttempt
from chatroom.storage.accounts import AccountError, AccountStore
from chatroom.storage.errors import StorageError

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")


def authenticate(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """AUTHENTICATE <mechanism> | <base64 chunk> | + | *"""
    arg = line.params[0]
    attempt = session.sasl
    if arg == "*":
        session.sasl = None
        rb.reply(n.ERR_SASLABORTED, "SASL authentication aborted")
        return
    if server.accounts is None:
        rb.reply(n.ERR_SASLFAIL, "SASL authentication failed: accounts are off on this server")
        return
    if attempt is None:
        _start(server, session, arg.upper(), rb)
        return
    try:
        payload = attempt.chunks.feed(arg)
    except SaslError as exc:
        _fail(session, rb, exc.numeric, str(exc))
        return
    if payload is None:
        return  # more chunks follow
    if attempt.mechanism == "PLAIN":
        _plain(server, session, attempt, payload, rb)
    else:
        _scram(server, session, attempt, payload, rb)


def _start(server: Server, session: Session, mechanism: str, rb: ResponseBuffer) -> None:
    if session.account is not None:
        rb.reply(n.ERR_SASLALREADY, "You have already authenticated using SASL")
        return
    if mechanism not in MECHANISMS:
        rb.reply(n.RPL_SASLMECHS, ",".join(MECHANISMS), "are available SASL mechanisms")
        rb.reply(n.ERR_SASLFAIL, "SASL authentication failed")
        return
    if (
        mechanism == "PLAIN"
        and server.config.plain_needs_tls
        and not session.secure
        and not is_loopback(session.address)
    ):
        rb.fail("AUTHENTICATE", "TLS_REQUIRED", "SASL PLAIN sends your password: use TLS")
        rb.reply(n.ERR_SASLFAIL, "SASL authentication failed")
        return
    session.sasl = SaslAttempt(mechanism)
    rb.add(Line("AUTHENTICATE", ("+",)))


def _fail(
    session: Session,
    rb: ResponseBuffer,
    numeric: str = n.ERR_SASLFAIL,
    text: str = "SASL authentication failed",
) -> None:
    session.sasl = None
    if numeric != n.ERR_SASLFAIL:
        rb.reply(numeric, text)
        text = "SASL authentication failed"
    rb.reply(n.ERR_SASLFAIL, text)


def _throttled(server: Server, session: Session, name: str) -> bool:
    """True: refuse at once. False: the attempt is counted (as failed until it succeeds)."""
    if server.auth.begin(session.address, name, server.now()):
        return False
    server.metrics.logins_throttled += 1
    return True


def _plain(
    server: Server, session: Session, attempt: SaslAttempt, payload: bytes, rb: ResponseBuffer
) -> None:
    store = server.accounts
    assert store is not None
    try:
        authzid, authcid, password = decode_plain(payload)
    except SaslError as exc:
        _fail(session, rb, exc.numeric, str(exc))
        return
    if (authzid and casefold(authzid) != casefold(authcid)) or _throttled(server, session, authcid):
        _fail(session, rb)
        return

    async def check() -> None:
        try:
            account = await store.verify_password(authcid, password)
        except StorageError as exc:
            log.error("Login check failed: %s", exc)
            account = None
        if account is None:  # already counted as failed by _throttled
            server.metrics.logins_failed += 1
            log.info("Failed login as %r from %s", authcid, session.address)
            _fail(session, rb)
        else:
            server.metrics.logins_ok += 1
            server.auth.succeeded(session.address, authcid)
            session.sasl = None
            log_in(server, session, account, rb)
            rb.reply(n.RPL_SASLSUCCESS, "SASL authentication successful")

    server.defer(rb, check, block=True)


def _scram(
    server: Server, session: Session, attempt: SaslAttempt, payload: bytes, rb: ResponseBuffer
) -> None:
    store = server.accounts
    assert store is not None
    if attempt.exchange is None:  # client-first
        try:
            exchange = parse_client_first(payload)
        except SaslError as exc:
            _fail(session, rb, exc.numeric, str(exc))
            return
        if _throttled(server, session, exchange.username):
            _fail(session, rb)
            return

        async def lookup() -> None:
            try:
                found = await store.scram_credentials(exchange.username)
            except StorageError as exc:
                log.error("Login check failed: %s", exc)
                _fail(session, rb)
            else:
                attempt.exchange, attempt.lookup = exchange, found
                first = exchange.server_first(found.credentials, known=found.known)
                for chunk in encode_chunks(first):
                    rb.add(Line("AUTHENTICATE", (chunk,)))

        server.defer(rb, lookup, block=True)
        return
    found = attempt.lookup
    assert found is not None
    if not attempt.verified:  # client-final: check the proof (HMACs, cheap)
        try:
            final = attempt.exchange.verify_client_final(payload)
        except SaslError:  # already counted as failed at client-first
            server.metrics.logins_failed += 1
            log.info("Failed login as %r from %s", attempt.exchange.username, session.address)
            _fail(session, rb)
            return
        if found.account is None:  # cannot happen with fake credentials, but never log in
            _fail(session, rb)
            return
        attempt.verified = True
        for chunk in encode_chunks(final):
            rb.add(Line("AUTHENTICATE", (chunk,)))
        return
    # The client's empty answer to our server-final message.
    assert found.account is not None
    server.metrics.logins_ok += 1
    server.auth.succeeded(session.address, found.account.name)
    session.sasl = None
    log_in(server, session, found.account, rb)
    rb.reply(n.RPL_SASLSUCCESS, "SASL authentication successful")


async def _exists_or_need_nick(store: AccountStore, name: str, rb: ResponseBuffer) -> None:
    """REGISTER <account> before NICK: ACCOUNT_EXISTS if it does, else NEED_NICK."""
    try:
        exists = await store.get(name) is not None
    except StorageError as exc:
        log.error("Could not look up account %r: %s", name, exc)
        rb.fail("REGISTER", "TEMPORARILY_UNAVAILABLE", name, "Accounts cannot be created right now")
        return
    if exists:
        rb.fail("REGISTER", "ACCOUNT_EXISTS", name, "That account already exists")
    else:
        rb.fail("REGISTER", "NEED_NICK", name, "Send NICK before REGISTER")


def register(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """REGISTER <account> {<email> | *} <password>"""
    name, email, password = line.params[0], line.params[1], line.params[2]
    store = server.accounts
    if store is None or not server.config.registration_open:
        rb.fail(
            "REGISTER",
            "TEMPORARILY_UNAVAILABLE",
            name,
            "Creating accounts is turned off on this server",
        )
        return
    if not session.registered and not server.config.registration_before_connect:
        # The cap does not say before-connect: the draft's code for "not yet".
        rb.fail(
            "REGISTER",
            "COMPLETE_CONNECTION_REQUIRED",
            name,
            "Finish connecting before registering an account",
        )
        return
    if name == "*":
        name = session.nick
    if name == "*":
        rb.fail("REGISTER", "NEED_NICK", "*", "Send NICK before REGISTER")
        return
    if session.account is not None:
        rb.fail(
            "REGISTER",
            "ALREADY_AUTHENTICATED",
            name,
            f"You are already logged in as {session.account}",
        )
        return
    if session.nick == "*":
        # Land-grab protection comes first: an account that exists is ACCOUNT_EXISTS
        # whoever asks and whenever; only a free name waits for a nick.
        server.defer(rb, lambda: _exists_or_need_nick(store, name, rb), block=True)
        return
    if casefold(name) != session.folded_nick:
        rb.fail(
            "REGISTER",
            "ACCOUNT_NAME_MUST_BE_NICK",
            name,
            "The account name must be your current nick",
        )
        return
    if server.auth.registrations.wait_time(session.address, server.now()) > 0:
        rb.fail(
            "REGISTER",
            "TEMPORARILY_UNAVAILABLE",
            name,
            "Too many accounts created from your address; try again later",
        )
        return

    async def create() -> None:
        try:
            account = await store.register(
                name,
                password,
                None if email == "*" else email,
                min_password_chars=server.config.min_password_length,
            )
        except AccountError as exc:
            rb.fail("REGISTER", getattr(exc, "code", None) or "BAD_ACCOUNT_NAME", name, str(exc))
        except StorageError as exc:
            log.error("Could not create account %r: %s", name, exc)
            rb.fail(
                "REGISTER", "TEMPORARILY_UNAVAILABLE", name, "Accounts cannot be created right now"
            )
        else:
            log.info("%s registered the account %s", session.source, account.name)
            server.auth.registrations.failed(session.address, server.now())  # counts creations
            rb.add(
                Line("REGISTER", ("SUCCESS", account.name, "Account created"), server.config.name)
            )
            log_in(server, session, account, rb)

    server.defer(rb, create, block=True)
