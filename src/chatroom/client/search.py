"""Searching the server's history: ``/search words`` over soju's ``soju.im/search``
(https://soju.im/specs/search).

The client asks only when the server offers the capability and we hold ``batch``;
otherwise the user is told search is not available here. The answer is one
``soju.im/search`` batch, held until it ends (:mod:`~chatroom.client.chathistory`
collects it), then shown in the active buffer as one line per match, oldest first:
its time, where it was said and who said it. A graphical client asks quietly
(``quiet``: no notes) and lists the :class:`SearchResults` event instead, which
every search ends with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chatroom.client.events import Event
from chatroom.client.model import MessageKind, parse_server_time
from chatroom.client.records import OpenBatch
from chatroom.client.state import ClientState
from chatroom.protocol import Line, casefold
from chatroom.protocol.line import format_tags

CAP = "soju.im/search"
BATCH = "soju.im/search"
PAGE = 20  # matches one /search asks for


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One message found: when, in which conversation (a room, or the other person
    of a private chat), who said it, its text and msgid (to open it, CHATHISTORY AROUND)."""

    time: datetime
    where: str
    sender: str
    text: str
    msgid: str | None


@dataclass(frozen=True, slots=True)
class SearchResults(Event):
    """A search for ``text`` ended: ``hits`` as the server sent them (empty: none)."""

    text: str
    hits: tuple[SearchHit, ...]


def available(client: ClientState) -> bool:
    """Whether the server can search on this connection."""
    return client.registered and CAP in client.caps and "batch" in client.caps


def start(client: ClientState, text: str, *, room: str | None = None, quiet: bool = False) -> None:
    """Send ``SEARCH text=<text>;limit=<PAGE>`` (with ``in=<room>`` when given), or
    tell the user why not. ``quiet``: no notes about it, only the event."""
    if not available(client):
        client.note("This server does not offer search.", MessageKind.ERROR)
        client.emit(SearchResults(text, ()))
        return
    attrs = {"in": room} if room else {}
    attrs |= {"text": text, "limit": str(PAGE)}
    if client.send(Line("SEARCH", (format_tags(attrs),))):
        client.chathistory.searches.append((text, quiet))
        if not quiet:
            client.note(f"Searching for “{text}”…")


def finish(client: ClientState, batch: OpenBatch) -> None:
    """A search batch ended: one line per match in the active buffer."""
    hits = [line for line in batch.lines if line.command in ("PRIVMSG", "NOTICE")]
    searches = client.chathistory.searches
    text, quiet = searches.popleft() if searches else ("", False)
    client.emit(SearchResults(text, tuple(hit(client, line) for line in hits)))
    if quiet:
        return
    if not hits:
        client.note("No messages found.")
        return
    client.note(f"{len(hits)} message(s) found, oldest first:")
    for line in hits:
        client.note(describe(client, line))


def _where(client: ClientState, line: Line) -> str:
    nick = (line.source or "?").partition("!")[0]
    where = line.params[0] if line.params else "?"
    if client.nick is not None and casefold(where) == casefold(client.nick):
        return nick  # a private message to us: the conversation is with the sender
    return where


def hit(client: ClientState, line: Line) -> SearchHit:
    """The :class:`SearchHit` of one matching line."""
    return SearchHit(
        parse_server_time(line.tags.get("time")),
        _where(client, line),
        (line.source or "?").partition("!")[0],
        line.params[1] if len(line.params) > 1 else "",
        line.tags.get("msgid"),
    )


def describe(client: ClientState, line: Line) -> str:
    """``2026-12-05 10:41  #room  <bob> the text`` for one match."""
    when = line.tags.get("time", "")[:16].replace("T", " ")
    nick = (line.source or "?").partition("!")[0]
    text = line.params[1] if len(line.params) > 1 else ""
    return f"{when}  {_where(client, line)}  <{nick}> {text}"
