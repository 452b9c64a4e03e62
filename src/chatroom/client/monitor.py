"""Who of the people in private chats is online: IRCv3 MONITOR
(https://ircv3.net/specs/extensions/monitor).

When the server advertises ``MONITOR`` (ISUPPORT), the client watches the nick
of every private chat: all of them once registered, one more when a chat opens,
one less when it closes, and the new nick when the person renames. The
server's 730/731 set the chat's ``online`` (``None`` until known) and put an
"is online"/"is offline" line in it when that changes; UIs show the state in
their buffer lists (:class:`~chatroom.client.model.BufferView`.online).
"""

from __future__ import annotations

from collections.abc import Iterable

from chatroom.client.lines import line_message
from chatroom.client.model import BufferKind, MessageKind
from chatroom.client.state import ClientState
from chatroom.protocol import Line
from chatroom.protocol.casemap import casefold

TARGETS_BUDGET = 400
"""Bytes of nicks in one ``MONITOR +`` line (a line is 512 bytes with its prefix)."""


def limit(client: ClientState) -> int | None:
    """How many nicks the server lets us monitor: None when it has no MONITOR,
    a very large number when it names no limit."""
    if "MONITOR" not in client.isupport:
        return None
    value = client.isupport["MONITOR"]
    return int(value) if value.isdigit() else 1 << 30


def watch(client: ClientState, nicks: Iterable[str]) -> None:
    """Monitor ``nicks`` (those not monitored yet, as many as the limit allows),
    in as few lines as fit. Nothing while not registered: registration sends
    the whole list (:func:`watch_private_chats`)."""
    most = limit(client)
    if most is None or not client.registered:
        return
    chunk: list[str] = []
    for nick in nicks:
        folded = casefold(nick)
        if folded in client.monitored or len(client.monitored) >= most:
            continue
        client.monitored.add(folded)
        if chunk and len(",".join([*chunk, nick]).encode()) > TARGETS_BUDGET:
            client.send(Line("MONITOR", ("+", ",".join(chunk))))
            chunk = []
        chunk.append(nick)
    if chunk:
        client.send(Line("MONITOR", ("+", ",".join(chunk))))


def unwatch(client: ClientState, nick: str) -> None:
    """Stop monitoring ``nick`` (a private chat closed, or its person renamed)."""
    folded = casefold(nick)
    if folded in client.monitored:
        client.monitored.discard(folded)
        client.send(Line("MONITOR", ("-", nick)))


def watch_private_chats(client: ClientState) -> None:
    """Registered: monitor the person of every private chat (the server forgot
    the list of the last connection)."""
    client.monitored.clear()
    people = [b.name for b in client.model.buffers if b.kind is BufferKind.PRIVATE]
    watch(client, people)


def online(client: ClientState, line: Line) -> None:
    """730 <nick> :<target>[!user@host][,<target>...]"""
    for target in line.params[-1].split(","):
        _set(client, line, target.partition("!")[0], True)


def offline(client: ClientState, line: Line) -> None:
    """731 <nick> :<target>[,<target>...]"""
    for target in line.params[-1].split(","):
        _set(client, line, target, False)


def _set(client: ClientState, line: Line, nick: str, state: bool) -> None:
    buffer = client.model.get(nick) if nick else None
    if buffer is None or buffer.kind is not BufferKind.PRIVATE or buffer.online is state:
        return
    buffer.online = state
    text = f"{buffer.name} is {'online' if state else 'offline'}"
    client.add(buffer, line_message(line, MessageKind.INFO, text))
    client.changed(buffer)
