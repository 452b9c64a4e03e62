"""Accounts: SASL login (IRCv3 sasl-3.1, PLAIN and SCRAM-SHA-256), REGISTER
(draft/account-registration), and the server's "this nick is registered" note.

Login happens in two situations:

- during registration, when a password is configured
  (``ClientConfig.account_password``, or one given earlier in the session by
  ``/login`` or ``/register``): the ``sasl`` cap is requested with the others
  and ``CAP END`` waits until the exchange ends, in success or failure, so the
  server sees us logged in from the first moment (no "nick is registered"
  warning, no rename);
- after registration, with ``/login PASSWORD`` (the server accepts
  AUTHENTICATE then too, as sasl-3.2 allows).

SCRAM-SHA-256 is preferred when the server offers it (the password never
crosses the wire); else PLAIN. PLAIN without TLS to a host that is not this
machine works, but the user is warned once. A password that worked is kept
for the rest of the session, so a reconnection logs in again by itself; it is
never logged nor kept in the input history.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging

from chatroom.client.commands import Action, Login, Register
from chatroom.client.events import AccountRegistered, LoggedIn, LoginFailed, RegisterFailed
from chatroom.client.model import MessageKind
from chatroom.client.records import Exchange
from chatroom.client.scram import ScramClient, ScramError
from chatroom.client.state import ClientState
from chatroom.protocol import Line
from chatroom.protocol import numerics as n
from chatroom.protocol.sasl import CHUNK_SIZE, encode_chunks

log = logging.getLogger(__name__)

SCRAM = "SCRAM-SHA-256"
PLAIN = "PLAIN"
PREFERENCE = (SCRAM, PLAIN)
REGISTRATION_CAP = "draft/account-registration"


def mechanisms(client: ClientState) -> list[str]:
    """What we can use of what the server offers (``sasl=...``), best first. A
    server that lists nothing is tried with both."""
    offered = [m.strip().upper() for m in client.cap_values.get("sasl", "").split(",") if m]
    return [m for m in PREFERENCE if not offered or m in offered]


def wants_sasl(client: ClientState) -> bool:
    """Whether to request the ``sasl`` cap during registration."""
    return bool(client.account_password) and "sasl" in client.cap_ls and bool(mechanisms(client))


def start(client: ClientState, password: str, account: str | None = None) -> bool:
    """Begin logging in; returns False (with a note) if the server offers no
    mechanism we know."""
    usable = mechanisms(client)
    if not usable:
        client.note("This server offers no way to log in that chatroom knows.", MessageKind.ERROR)
        return False
    name = account or client.config.account or client.nick or ""
    client.sasl = Exchange(name, password, usable[0], [usable[0]])
    _warn_plain(client, usable[0])
    client.send(Line("AUTHENTICATE", (usable[0],)))
    return True


def _warn_plain(client: ClientState, mechanism: str) -> None:
    if mechanism != PLAIN or client.config.tls or client.plain_warned:
        return
    if _is_loopback(client.config.host):
        return
    client.plain_warned = True
    client.note(
        f"Warning: your password goes to {client.config.host} without encryption "
        "(no TLS, and the server does not offer SCRAM). Use --tls if the server has it.",
        MessageKind.ERROR,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def perform(client: ClientState, action: Action) -> None:
    """Carry out ``/register`` and ``/login`` (the client is registered)."""
    if isinstance(action, Register):
        if REGISTRATION_CAP not in client.cap_ls:
            client.note("This server does not let you create accounts.", MessageKind.ERROR)
            return
        client.pending_password = action.password
        client.send(Line("REGISTER", ("*", "*", action.password)))
    elif isinstance(action, Login):
        if client.account is not None:
            client.note(f"You are already logged in as {client.account}.", MessageKind.ERROR)
            return
        if "sasl" not in client.cap_ls:
            client.note("This server does not offer logging in.", MessageKind.ERROR)
            return
        start(client, action.password)


def _finish(client: ClientState) -> None:
    """The exchange is over: registration may end now."""
    client.sasl = None
    if not client.registered:
        client.send(Line("CAP", ("END",)))


def _fail(client: ClientState, reason: str) -> None:
    exchange = client.sasl
    account = exchange.account if exchange else (client.nick or "")
    _finish(client)
    if client.account_password == (exchange.password if exchange else None):
        client.account_password = None  # do not try a wrong password again on reconnect
    client.emit(LoginFailed(account, reason))
    client.note(f"Could not log in as {account}: {reason}", MessageKind.ERROR)


def authenticate(client: ClientState, line: Line) -> None:
    """AUTHENTICATE <base64 chunk> | + (the server's side of the exchange)"""
    exchange = client.sasl
    if exchange is None or not line.params:
        return
    chunk = line.params[0]
    if chunk != "+":
        exchange.incoming.append(chunk)
        if len(chunk) == CHUNK_SIZE:
            return  # more of this message follows
    try:
        data = base64.b64decode("".join(exchange.incoming), validate=True)
    except (binascii.Error, ValueError):
        client.send(Line("AUTHENTICATE", ("*",)))
        _fail(client, "the server sent a malformed SASL message")
        return
    exchange.incoming.clear()
    try:
        reply = _answer(exchange, data)
    except ScramError as exc:
        client.send(Line("AUTHENTICATE", ("*",)))
        _fail(client, str(exc))
        return
    exchange.step += 1
    for part in encode_chunks(reply):
        client.send(Line("AUTHENTICATE", (part,)))


def _answer(exchange: Exchange, data: bytes) -> bytes:
    """Our answer to the server's ``step``-th message (RFC 4616 / RFC 5802)."""
    if exchange.mechanism == PLAIN:
        return f"\0{exchange.account}\0{exchange.password}".encode()
    if exchange.step == 0:
        exchange.scram = ScramClient(exchange.account, exchange.password)
        return exchange.scram.first()
    assert exchange.scram is not None
    if exchange.step == 1:
        return exchange.scram.final(data)
    exchange.scram.verify(data)
    return b""


def logged_in(client: ClientState, line: Line) -> None:
    """900 <nick> <nick!user@host> <account> :You are now logged in as <account>"""
    client.account = line.params[2]
    password = client.pending_password or (client.sasl.password if client.sasl else None)
    if password:
        client.account_password = password  # log in again by itself after a reconnect
    client.pending_password = None
    client.emit(LoggedIn(client.account))
    client.note(line.params[-1])


def logged_out(client: ClientState, line: Line) -> None:
    """901 <nick> <nick!user@host> :You are now logged out"""
    client.account = None
    client.note(line.params[-1] if line.params else "You are now logged out.")


def sasl_success(client: ClientState, line: Line) -> None:
    """903 <nick> :SASL authentication successful"""
    _finish(client)


def sasl_mechanisms(client: ClientState, line: Line) -> None:
    """908 <nick> <mechanisms> :are available SASL mechanisms"""
    if len(line.params) >= 2:
        client.cap_values["sasl"] = line.params[1]


def sasl_failed(client: ClientState, line: Line) -> None:
    """904/905/906/907 <nick> :<reason>"""
    exchange = client.sasl
    if exchange is None:
        return
    if line.command == n.ERR_SASLALREADY:
        _finish(client)
        return
    # The mechanism itself may be what failed (908 said so): try the next one.
    left = [m for m in mechanisms(client) if m not in exchange.tried]
    if exchange.step == 0 and left and exchange.mechanism not in mechanisms(client):
        exchange.mechanism = left[0]
        exchange.tried.append(left[0])
        _warn_plain(client, left[0])
        client.send(Line("AUTHENTICATE", (left[0],)))
        return
    reason = "wrong account name or password" if line.command == n.ERR_SASLFAIL else ""
    _fail(client, reason or (line.params[-1] if line.params else "refused"))


def register_reply(client: ClientState, line: Line) -> None:
    """REGISTER SUCCESS <account> <message> | REGISTER VERIFICATION_REQUIRED <account> <message>"""
    account = line.params[1]
    if line.params[0] == "SUCCESS":
        client.emit(AccountRegistered(account))
        client.note(f"Account {account} created: {line.params[-1]}.")
    else:
        client.pending_password = None
        client.note(f"Account {account}: {line.params[-1]}")


def register_failed(client: ClientState, line: Line) -> None:
    """FAIL REGISTER <code> <account> <description>"""
    if line.command != "FAIL" or len(line.params) < 3:
        return
    client.pending_password = None
    code = line.params[1]
    account = line.params[2] if len(line.params) > 3 else (client.nick or "")
    client.emit(RegisterFailed(account, code, line.params[-1]))
    client.note(f"Could not create the account {account}: {line.params[-1]}", MessageKind.ERROR)


def nick_registered(client: ClientState, line: Line) -> None:
    """NOTE * NICK_REGISTERED <nick> <description> (and other replies about no command)"""
    if len(line.params) >= 3 and line.params[1] == "NICK_REGISTERED":
        client.note(
            f"{line.params[-1]} Type /login PASSWORD if it is yours, or /nick NEWNAME.",
            MessageKind.ERROR,
        )
    elif line.params:
        kind = MessageKind.ERROR if line.command == "FAIL" else MessageKind.INFO
        client.note(line.params[-1], kind)
