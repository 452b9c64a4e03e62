"""The state of logging in, kept by the server: the login throttles, the grace
periods of registered nicks, and the SASL exchange in progress on a session.

Guessing is throttled twice, per client address and per account name, before
any hashing, so a refusal costs the server nothing and comes at once whether
or not the account exists (https://ircv3.net/specs/extensions/sasl-3.1). Each
attempt counts as a failure when it starts (``Auth.begin``) and is forgiven if
it succeeds, so parallel connections cannot run more checks than one would.
What is done with them (logging in, taking a nick back) is
:mod:`chatroom.server.auth`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from chatroom.protocol.casemap import casefold
from chatroom.protocol.sasl import SaslChunks, ScramExchange
from chatroom.server.throttle import Throttle
from chatroom.server.tokens import UploadTokens
from chatroom.storage.accounts import ScramLookup

GRACE_MEMORY = 3600.0
"""Seconds a registered nick's spent grace period is remembered after it ran out."""


@dataclass
class SaslAttempt:
    """One AUTHENTICATE exchange in progress on a session."""

    mechanism: str
    chunks: SaslChunks = field(default_factory=SaslChunks)
    exchange: ScramExchange | None = None
    lookup: ScramLookup | None = None
    verified: bool = False  # SCRAM: the client's proof checked, waiting for its final '+'


class Auth:
    """The throttles of one server: logins per address and per account name, and
    account creations per address."""

    def __init__(self) -> None:
        # Registered nick (folded) -> when someone not logged in to it first took it.
        # It belongs to the nick, not the connection: reconnecting does not restart it.
        self.grace_started: OrderedDict[str, float] = OrderedDict()
        self.by_address = Throttle()
        self.by_account = Throttle()
        # Account creations per address: a few are fine (a family behind one
        # router), a script creating hundreds is slowed down.
        self.registrations = Throttle(threshold=5, base_delay=10.0, max_delay=3600.0)
        # Upload tokens given to connected sessions (EXTJWT, server/tokens.py).
        self.upload_tokens = UploadTokens()

    def wait_time(self, address: str, account: str, now: float) -> float:
        """Seconds before this address may try this account again (0: now)."""
        return max(
            self.by_address.wait_time(address, now),
            self.by_account.wait_time(casefold(account), now),
        )

    def grace_left(self, folded_nick: str, grace: float, now: float) -> float:
        """Seconds left before a registered nick held without logging in is taken back.

        The clock starts the first time anyone takes the nick without logging in, and
        runs on whoever holds it after: switching away and back, or reconnecting, buys
        nothing. It is forgotten :data:`GRACE_MEMORY` seconds after it ran out, so an
        impostor gets at most one grace period per nick in that time."""
        started = self.grace_started
        while started:
            oldest, when = next(iter(started.items()))
            if now - when < grace + GRACE_MEMORY:
                break
            del started[oldest]
        when = started.setdefault(folded_nick, now)
        return when + grace - now

    def begin(self, address: str, account: str, now: float) -> bool:
        """Start a password check: False (refuse at once) if this address or account
        must wait, else count the attempt as failed *now*, before the check runs.

        Counting at the start is what makes the throttle hold against parallel
        guesses: checks take a while and run concurrently, so a failure counted when
        its check ends would let every connection opened meanwhile through. Call
        :meth:`succeeded` if the check passes (it forgets the failures); a failed
        check needs nothing more."""
        if self.wait_time(address, account, now) > 0:
            return False
        self.failed(address, account, now)
        return True

    def failed(self, address: str, account: str, now: float) -> None:
        # Unknown names count too, or the pattern of refusals would reveal which exist.
        self.by_address.failed(address, now)
        self.by_account.failed(casefold(account), now)

    def succeeded(self, address: str, account: str) -> None:
        self.by_address.succeeded(address)
        self.by_account.succeeded(casefold(account))
