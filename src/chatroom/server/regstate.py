"""Where a connection is in registration: one state, changed only through one table.

A client is registered once it has sent NICK and USER and, if it started capability
negotiation (CAP LS or CAP REQ before registering), CAP END (Modern IRC, "Connection
Registration"; https://ircv3.net/specs/extensions/capability-negotiation). The state is
what has arrived so far::

                 nothing     NICK only   USER only   both
    no CAP       START       NICK        USER        READY ──WELCOME──► REGISTERED
    in CAP       CAP         CAP_NICK    CAP_USER    CAP_READY

- ``NICK`` (a nick was given to the session) moves right to a column with the nick,
  ``USER`` likewise to one with the user; giving a nick again stays put;
- ``CAP_BEGIN`` (CAP LS or CAP REQ) moves down, ``CAP_END`` up (in the top row it stays);
- in READY the server tries to register the client: ``WELCOME`` when it does, or
  ``NICK_REFUSED`` back to USER when the nick turned out to be taken (433).

The rules this module keeps:

1. Only :func:`next_state` changes a state, by :data:`TRANSITIONS`; a pair not in the
   table raises :class:`~chatroom.errors.LocalProtocolError`: it is a bug in the caller,
   which must check what the client may do (:func:`allowed`) and answer with a numeric.
2. REGISTERED is final: after registration, NICK renames and CAP changes capabilities,
   neither is a registration event.
3. Whether the password (PASS) was right, and a SASL exchange in progress, are not
   registration states: they are data the session keeps beside it.
"""

from __future__ import annotations

from enum import Enum

from chatroom.errors import LocalProtocolError


class RegState(Enum):
    """Where a connection is in registration (see the module docstring)."""

    START = "START"
    NICK = "NICK"
    USER = "USER"
    READY = "READY"
    CAP = "CAP"
    CAP_NICK = "CAP_NICK"
    CAP_USER = "CAP_USER"
    CAP_READY = "CAP_READY"
    REGISTERED = "REGISTERED"


class RegEvent(Enum):
    """What moves a connection through registration."""

    NICK = "NICK"  # a nick was given to the session
    USER = "USER"  # USER was accepted
    CAP_BEGIN = "CAP_BEGIN"  # CAP LS or CAP REQ before registering
    CAP_END = "CAP_END"  # CAP END before registering
    NICK_REFUSED = "NICK_REFUSED"  # READY, but the nick is taken: it is dropped (433)
    WELCOME = "WELCOME"  # registration complete (001)


S, E = RegState, RegEvent

TRANSITIONS: dict[tuple[RegState, RegEvent], RegState] = {
    (S.START, E.NICK): S.NICK,
    (S.START, E.USER): S.USER,
    (S.START, E.CAP_BEGIN): S.CAP,
    (S.START, E.CAP_END): S.START,
    (S.NICK, E.NICK): S.NICK,
    (S.NICK, E.USER): S.READY,
    (S.NICK, E.CAP_BEGIN): S.CAP_NICK,
    (S.NICK, E.CAP_END): S.NICK,
    (S.USER, E.NICK): S.READY,
    (S.USER, E.CAP_BEGIN): S.CAP_USER,
    (S.USER, E.CAP_END): S.USER,
    (S.READY, E.NICK): S.READY,
    (S.READY, E.CAP_BEGIN): S.CAP_READY,
    (S.READY, E.CAP_END): S.READY,
    (S.READY, E.NICK_REFUSED): S.USER,
    (S.READY, E.WELCOME): S.REGISTERED,
    (S.CAP, E.NICK): S.CAP_NICK,
    (S.CAP, E.USER): S.CAP_USER,
    (S.CAP, E.CAP_BEGIN): S.CAP,
    (S.CAP, E.CAP_END): S.START,
    (S.CAP_NICK, E.NICK): S.CAP_NICK,
    (S.CAP_NICK, E.USER): S.CAP_READY,
    (S.CAP_NICK, E.CAP_BEGIN): S.CAP_NICK,
    (S.CAP_NICK, E.CAP_END): S.NICK,
    (S.CAP_USER, E.NICK): S.CAP_READY,
    (S.CAP_USER, E.CAP_BEGIN): S.CAP_USER,
    (S.CAP_USER, E.CAP_END): S.USER,
    (S.CAP_READY, E.NICK): S.CAP_READY,
    (S.CAP_READY, E.CAP_BEGIN): S.CAP_READY,
    (S.CAP_READY, E.CAP_END): S.READY,
}
"""Every legal (state, event) pair and the state it leads to; nothing else is legal."""

del S, E


def allowed(state: RegState, event: RegEvent) -> bool:
    """Whether ``event`` may happen in ``state`` (e.g. USER only until it was sent)."""
    return (state, event) in TRANSITIONS


def next_state(state: RegState, event: RegEvent) -> RegState:
    """The state ``event`` leads to from ``state``; raise
    :class:`~chatroom.errors.LocalProtocolError` if the table does not allow it."""
    try:
        return TRANSITIONS[state, event]
    except KeyError:
        raise LocalProtocolError(
            f"Registration cannot take {event.name} in state {state.name}."
        ) from None
