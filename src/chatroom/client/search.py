"""Searching the server's history: ``/search words`` over soju's ``soju.im/search``
(https://soju.im/specs/search).

The client asks only when the server offers the capability and we hold ``batch``;
otherwise the user is told search is not available here. The answer is one
``soju.im/search`` batch, held until it ends (:mod:`~chatroom.client.chathistory`
collects it), then shown in the active buffer as one line per match, oldest first:
its time, where it was said and who said it.
"""

from __future__ import annotations

from chatroom.client.model import MessageKind
from chatroom.client.records import OpenBatch
from chatroom.client.state import ClientState
from chatroom.protocol import Line, casefold
from chatroom.protocol.line import format_tags

CAP = "soju.im/search"
BATCH = "soju.im/search"
PAGE = 20  # matches one /search asks for


def available(client: ClientState) -> bool:
    """Whether the server can search on this connection."""
    return client.registered and CAP in client.caps and "batch" in client.caps


def start(client: ClientState, text: str) -> None:
    """Send ``SEARCH text=<text>;limit=<PAGE>``, or tell the user why not."""
    if not available(client):
        client.note("This server does not offer search.", MessageKind.ERROR)
        return
    attrs = format_tags({"text": text, "limit": str(PAGE)})
    if client.send(Line("SEARCH", (attrs,))):
        client.note(f"Searching for “{text}”…")


def finish(client: ClientState, batch: OpenBatch) -> None:
    """A search batch ended: one line per match in the active buffer."""
    hits = [line for line in batch.lines if line.command in ("PRIVMSG", "NOTICE")]
    if not hits:
        client.note("No messages found.")
        return
    client.note(f"{len(hits)} message(s) found, oldest first:")
    for line in hits:
        client.note(describe(client, line))


def describe(client: ClientState, line: Line) -> str:
    """``2026-12-05 10:41  #room  <bob> the text`` for one match."""
    when = line.tags.get("time", "")[:16].replace("T", " ")
    nick = (line.source or "?").partition("!")[0]
    where = line.params[0] if line.params else "?"
    if client.nick is not None and casefold(where) == casefold(client.nick):
        where = nick  # a private message to us: the conversation is with the sender
    text = line.params[1] if len(line.params) > 1 else ""
    return f"{when}  {where}  <{nick}> {text}"
