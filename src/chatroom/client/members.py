"""What the people in rooms are: their accounts and away states, kept in the
room's :class:`~chatroom.client.model.Member` entries.

After joining a room the client asks the server for them all in one WHOX query
(https://ircv3.net/specs/extensions/whox), when the server advertises ``WHOX``:
``WHO #room %tcnuhafr,<token>``. Our token tells our replies (read quietly into
the model) from those of a ``WHO`` the user typed (shown as they are). Changes
then arrive as away-notify ``AWAY`` and account-notify ``ACCOUNT`` lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from chatroom.client.lines import nick_of
from chatroom.client.model import Buffer, Member
from chatroom.client.replies import other_numeric
from chatroom.client.state import ClientState
from chatroom.protocol import Line, casefold

WHOX_TOKEN = "152"
"""The token of the client's own WHOX queries (the spec allows up to 3 digits)."""

WHOX_FIELDS = "tcnuhafr"
"""Token, channel, user, host, nick, flags, account, realname: a 354 reply gives
them in the spec's order, t c u h n f a r, whatever order they are asked in."""


def request_whox(client: ClientState, buffer: Buffer) -> None:
    """Ask for the accounts and away states of everyone in ``buffer`` (just
    joined), if the server speaks WHOX; the replies come after its NAMES."""
    if "WHOX" not in client.isupport:
        return
    if client.send(Line("WHO", (buffer.name, f"%{WHOX_FIELDS},{WHOX_TOKEN}"))):
        client.whox_pending.add(buffer.key)


def who_reply(client: ClientState, line: Line) -> None:
    """354 <me> <token> <channel> <user> <host> <nick> <flags> <account> :<realname>"""
    params = line.params
    if len(params) != 9 or params[1] != WHOX_TOKEN:
        other_numeric(client, line)  # a WHO the user typed: show it
        return
    buffer = client.model.get(params[2])
    if buffer is None or not buffer.joined:
        return
    nick, flags, account = params[5], params[6], params[7]
    symbols = client.model.prefix_order
    prefixes = "".join(s for s in symbols if s in flags)
    key = casefold(nick)
    old = buffer.members.get(key) or Member(nick, prefixes)
    member = replace(old, account=None if account == "0" else account, away="G" in flags[:1])
    if member != old or key not in buffer.members:
        buffer.members[key] = member
        client.changed(buffer)


def end_of_who(client: ClientState, line: Line) -> None:
    """315 <me> <mask> :End of /WHO list"""
    key = casefold(line.params[1])
    if key in client.whox_pending:
        client.whox_pending.discard(key)  # our own query: nothing to show
        return
    other_numeric(client, line)


def away(client: ClientState, line: Line) -> None:
    """:<nick> AWAY [<message>] (away-notify): the member's state in every room,
    quietly (a chat would drown in such lines)."""
    gone = bool(line.params)
    _update(client, nick_of(line.source), lambda m: replace(m, away=gone))


def account(client: ClientState, line: Line) -> None:
    """:<nick> ACCOUNT <account or *> (account-notify)"""
    name = None if line.params[0] == "*" else line.params[0]
    _update(client, nick_of(line.source), lambda m: replace(m, account=name))


def _update(client: ClientState, nick: str, change: Callable[[Member], Member]) -> None:
    """Apply ``change`` to ``nick``'s entry in every room it is in."""
    key = casefold(nick)
    for buffer in client.model.buffers_with(nick):
        member = buffer.members.get(key)
        if member is None:
            continue
        changed = change(member)
        if changed != member:
            buffer.members[key] = changed
            client.changed(buffer)
