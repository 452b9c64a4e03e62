"""What others see of a user besides its nick: away message, account, realname,
user modes; and how a change of them is told.

One path for every user: a change here is sent to the local users sharing a
channel with it (each notification only to those with its capability: IRCv3
``away-notify``, ``account-notify``, ``setname``) and published to the other
processes of the network (``--cluster``), whose delivery code sends the very
same line through :func:`notify`, so a user on another process is notified
exactly like one here.

IRCv3 MONITOR goes the same way: a user arriving, leaving or renaming, local or
remote, is reported through :func:`online`, :func:`offline` and :func:`renamed`
to the sessions watching its nick (``Server.watchlist``), and ``extended-monitor``
watchers get the notifications above as if they shared a channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from chatroom.protocol.casemap import casefold
from chatroom.protocol.line import Line
from chatroom.server.network.events import UserState, UserUp
from chatroom.server.outgoing import Outgoing

if TYPE_CHECKING:
    from chatroom.server.server import Server
    from chatroom.server.session import Session

BOT_MODE = "B"
"""The user mode that marks a bot (https://ircv3.net/specs/extensions/bot-mode),
advertised as ISUPPORT ``BOT=B``: WHO shows it in the flags, WHOIS with 335, and
what a bot says carries the ``bot`` tag."""

NOTIFY_CAPS = {"AWAY": "away-notify", "ACCOUNT": "account-notify", "SETNAME": "setname"}
"""The capability a recipient needs for each notification."""


def notify(server: Server, recipients: Iterable[Session], out: Outgoing) -> None:
    """Send a notification (AWAY, ACCOUNT, SETNAME) to those of ``recipients``
    that enabled its capability, and to the sessions monitoring its source that
    enabled ``extended-monitor`` too (https://ircv3.net/specs/extensions/extended-monitor:
    the same notifications, each still under its own capability, once each)."""
    everyone = set(recipients)
    folded = casefold(out.line.source.partition("!")[0]) if out.line.source else ""
    for watcher in server.watchlist.watchers(folded):
        if "extended-monitor" in watcher.caps and watcher.folded_nick != folded:
            everyone.add(watcher)
    server.send_to(everyone, out, cap=NOTIFY_CAPS[out.line.command])


def changed(server: Server, session: Session, line: Line | None = None) -> None:
    """``session``'s state changed: tell its local peers ``line`` (a notification,
    or None for a user mode change, which nobody is told of) and the network.

    Nothing is told of a closed session: a change made after an awaited check
    (OPER, SASL, REGISTER) that ended after the user quit would otherwise reach the
    other processes after its Quit, and land on whoever took the nick meanwhile."""
    if session.closed:
        return
    if line is not None:
        notify(server, server.peers_of(session), Outgoing(line))
    if session.registered:
        server.network.publish(
            UserState(
                nick=session.folded_nick,
                realname=session.realname,
                account=session.account,
                away=session.away,
                modes=_modes(session),
                line=line,
            )
        )


def user_up(session: Session) -> UserUp:
    """The event announcing a registered ``session`` to the network."""
    return UserUp(
        nick=session.nick,
        source=session.source,
        realname=session.realname,
        account=session.account,
        away=session.away,
        modes=_modes(session),
        signon=session.signon,
        secure=session.secure,
    )


def _modes(session: Session) -> str:
    return "".join(sorted(session.modes))
