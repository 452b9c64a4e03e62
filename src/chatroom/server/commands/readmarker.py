"""Read markers: MARKREAD (https://ircv3.net/specs/extensions/read-marker).

A read marker is the time of the last message a user has read in a conversation (a
channel, or a nick for a private one). The server keeps it:

- per account, in the history store, when the session is logged in (shared by every
  session of the account, on every process of a network, and across restarts; with
  history off, in this process's memory);
- per session, for the session's lifetime, when it is not.

It never moves backwards. When it moves, every session of the account on this process
that enabled ``draft/read-marker`` gets ``MARKREAD <target> timestamp=…`` (sessions of
the account on other processes see the new marker on their next MARKREAD or JOIN). A
JOIN is followed by the channel's marker (``timestamp=*`` if there is none); for a
logged-in session the marker is read from storage, so it may arrive after the NAMES
reply rather than before RPL_ENDOFNAMES.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chatroom.protocol.casemap import casefold, is_channel_name, is_valid_channel, is_valid_nick
from chatroom.protocol.line import Line
from chatroom.server.outgoing import format_time
from chatroom.storage.errors import StorageError

if TYPE_CHECKING:
    from chatroom.server.channel import Channel
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")

CAP = "draft/read-marker"


def parse_marker(text: str) -> datetime | None:
    """``timestamp=YYYY-MM-DDThh:mm:ss.sssZ`` → an aware UTC datetime; None if malformed."""
    kind, sep, value = text.partition("=")
    if kind != "timestamp" or not sep:
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            when = datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
        return when.replace(microsecond=when.microsecond - when.microsecond % 1000)
    return None


def marker_line(server: Server, target: str, when: datetime | None) -> Line:
    """``MARKREAD <target> timestamp=<when | *>``, from the server."""
    value = "*" if when is None else format_time(when)
    return Line("MARKREAD", (target, f"timestamp={value}"), server.config.name)


def markread(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """MARKREAD <target> [timestamp=YYYY-MM-DDThh:mm:ss.sssZ]"""
    target = line.params[0]
    valid = (
        is_valid_channel(target, server.config.channellen)
        if is_channel_name(target)
        else is_valid_nick(target, server.config.nicklen)
    )
    if not valid:
        rb.fail("MARKREAD", "INVALID_PARAMS", target, "Invalid target")
        return
    key = casefold(target)
    when: datetime | None = None
    if len(line.params) > 1:
        when = parse_marker(line.params[1])
        if when is None:
            rb.fail("MARKREAD", "INVALID_PARAMS", line.params[1], "Invalid timestamp")
            return
    account = session.account
    if account is None:  # markers for this session only
        if when is not None:
            known = session.read_markers.get(key)
            if known is None or when > known:
                session.read_markers[key] = known = when
            when = known
        else:
            when = session.read_markers.get(key)
        rb.add(marker_line(server, target, when))
        return
    moved_to = when

    async def run() -> None:
        try:
            stored = await _set(server, casefold(account), key, moved_to)
        except StorageError as exc:
            log.error("Read marker of %s in %s: %s", account, key, exc)
            rb.fail("MARKREAD", "INTERNAL_ERROR", target, "Read markers are unavailable")
            return
        reply = marker_line(server, target, stored)
        rb.add(reply)
        if moved_to is not None and stored == moved_to:  # it moved (or was there already)
            _tell_others(server, session, casefold(account), reply)

    server.defer(rb, run, block=True)


async def _set(server: Server, account: str, key: str, when: datetime | None) -> datetime | None:
    """Move the account's marker to *when* (None: only read it); return the marker."""
    store = server.history
    if store is not None:
        if when is None:
            return await store.read_marker(account, key)
        return await store.set_read_marker(account, key, when)
    known = server.read_markers.get((account, key))
    if when is not None and (known is None or when > known):
        server.read_markers[account, key] = known = when
    return known


def _tell_others(server: Server, session: Session, account: str, line: Line) -> None:
    """Send the moved marker to the account's other sessions here that asked for it."""
    for other in server.sessions:
        if (
            other is not session
            and other.account is not None
            and CAP in other.caps
            and not other.closed
            and casefold(other.account) == account
        ):
            other.send_line(line)


def after_join(server: Server, session: Session, channel: Channel, rb: ResponseBuffer) -> None:
    """Follow a JOIN with the channel's read marker, for a session with the cap."""
    if CAP not in session.caps:
        return
    account = session.account
    if account is None:
        rb.add(marker_line(server, channel.name, session.read_markers.get(channel.folded)))
        return
    if server.history is None:
        known = server.read_markers.get((casefold(account), channel.folded))
        rb.add(marker_line(server, channel.name, known))
        return

    async def send() -> None:
        try:
            known = await _set(server, casefold(account), channel.folded, None)
        except StorageError as exc:
            log.error("Read marker of %s in %s: %s", account, channel.folded, exc)
            return
        if not session.closed:
            session.send_line(marker_line(server, channel.name, known))

    server.spawn(send())
