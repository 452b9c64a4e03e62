"""SEARCH: full-text search of the history (soju.im/search, https://soju.im/specs/search).

``SEARCH <attributes>``, the attributes written as message tags (``text=fast;in=#chan``):
``in`` (a channel or a nick), ``from`` (a nick), ``after`` and ``before`` (server-time
timestamps, both inclusive), ``text`` (a case-insensitive substring) and ``limit``. The
answer is one ``soju.im/search`` batch of PRIVMSG and NOTICE lines in ascending time,
the newest ``limit`` matches; to page back, search again with ``before`` just earlier
than the oldest line received.

Who may read what is CHATHISTORY's rule (:mod:`.history`): the channels the user is in
now, and its private conversations only inside the times its nick was its own
(``Session.private_windows``). A channel it may not read gives an empty batch, as one
that does not exist, so the reply does not reveal a secret channel.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from chatroom.errors import MalformedLine
from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold, is_channel_name, is_valid_nick
from chatroom.protocol.line import Line, parse_tags
from chatroom.protocol.numbers import parse_number
from chatroom.server.commands.history import (
    Window,
    _BadParams,
    _inside,
    _replayed,
    parse_timestamp,
)
from chatroom.storage.base import MessageKind, Search, StoredMessage
from chatroom.storage.conversations import dm_key, is_dm_key
from chatroom.storage.errors import StorageError

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")

BATCH = "soju.im/search"


class _Invalid(Exception):
    """An attribute is malformed; ``args[0]`` names it."""


def search(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """SEARCH <attributes>"""
    if server.history is None:
        rb.reply(n.ERR_UNKNOWNCOMMAND, "SEARCH", "History is off on this server")
        return
    try:
        query = _query(server, session, line.params[0])
    except _Invalid as exc:
        rb.fail("SEARCH", "INVALID_PARAMS", str(exc.args[0]), "Invalid parameters")
        return
    windows = session.private_windows()  # decided now, as CHATHISTORY does
    server.defer(rb, lambda: _run(server, session, rb, query, windows))


def _query(server: Server, session: Session, text: str) -> Search | None:
    """The store's query for *text*; None when the user may read nothing it asks for."""
    try:
        attrs = parse_tags(text)
    except MalformedLine:
        raise _Invalid(text) from None
    limit_max = server.config.history_query_limit
    limit = limit_max
    if "limit" in attrs:
        asked = parse_number(attrs["limit"])
        if asked is None or asked < 1:
            raise _Invalid("limit")
        limit = min(asked, limit_max)
    bounds: dict[str, datetime] = {}
    for name in ("after", "before"):
        if name in attrs:
            try:
                bounds[name] = parse_timestamp(attrs[name])
            except _BadParams:
                raise _Invalid(name) from None
    sender = attrs.get("from")
    if sender is not None and not is_valid_nick(sender, 64):
        raise _Invalid("from")
    targets, dms_of = _where(server, session, attrs.get("in"))
    if not targets and dms_of is None:
        return None
    return Search(
        attrs.get("text", ""),
        limit,
        targets,
        dms_of,
        None if sender is None else casefold(sender),
        bounds.get("after"),
        bounds.get("before"),
    )


def _where(
    server: Server, session: Session, target: str | None
) -> tuple[tuple[str, ...], str | None]:
    """The conversation keys to search and whose private conversations (CHATHISTORY's rule)."""
    if target is None:
        return tuple(c.folded for c in session.channels), session.folded_nick
    if is_channel_name(target):
        channel = server.find_channel(target)
        if channel is None or session not in channel.members:
            return (), None
        return (channel.folded,), None
    if not is_valid_nick(target, 64):
        raise _Invalid("in")
    return (dm_key(session.folded_nick, casefold(target)),), None


async def _run(
    server: Server,
    session: Session,
    rb: ResponseBuffer,
    query: Search | None,
    windows: list[Window],
) -> None:
    store = server.history
    assert store is not None
    found: list[StoredMessage] = []
    if query is not None:
        try:
            found = await store.search(query)
        except StorageError as exc:
            log.error("SEARCH failed: %s", exc)
            rb.fail("SEARCH", "INTERNAL_ERROR", "The search could not be run")
            return
    # A private conversation only inside the times this session may read it.
    found = [m for m in found if not is_dm_key(m.target) or _inside(m.time, windows)]
    if session.closed:
        return
    ref = rb.start_batch(BATCH, whole=True)
    rb.stream(
        _replayed(found[::-1], frozenset([MessageKind.TAGMSG]))
    )  # the spec asks for ascending time
    rb.end_batch(ref)
