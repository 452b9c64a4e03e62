"""Deleting messages: REDACT (https://ircv3.net/specs/extensions/message-redaction).

Who may delete what:

- the sender, their own message (the same account when it was sent logged in, else the
  same ``nick!user@host``), in a channel they are on or a private conversation of theirs;
- a channel operator, any message of that channel;
- both only within ``history.redaction_window`` seconds of the message (0: no limit).

The message must be in history: the server checks the rules against the stored row, then
turns it into a tombstone (:meth:`~chatroom.storage.base.HistoryStore.redact`), and only
once that is durable relays ``REDACT <target> <msgid> [reason]`` to the sender and the
conversation's other local sessions that enabled ``draft/message-redaction``; clients
without the cap get nothing (they keep the text they were shown). CHATHISTORY leaves a
redacted message out, or with ``draft/event-playback`` replays a REDACT in its place (one of
the spec's choices). The conversation's sessions on the other processes of a network
are told live too (a :class:`~chatroom.server.network.events.Redaction` event).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from chatroom.protocol.casemap import casefold, is_channel_name, is_valid_nick
from chatroom.protocol.line import Line
from chatroom.server.network.events import Redaction
from chatroom.server.outgoing import format_time
from chatroom.storage.base import EVENT_KINDS, StoredMessage, utc_now
from chatroom.storage.conversations import dm_key
from chatroom.storage.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")

CAP = "draft/message-redaction"


def redact(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """REDACT <target> <msgid> [<reason>]"""
    target, msgid = line.params[0], line.params[1]
    reason = line.params[2] if len(line.params) > 2 else ""
    store = server.history
    channel = server.find_channel(target) if is_channel_name(target) else None
    peer = None  # the other party of a private conversation, when on this process
    if channel is not None:
        if session not in channel.members:  # never joined, or left
            rb.fail("REDACT", "INVALID_TARGET", target, "You are not on that channel")
            return
        key, op, audience = channel.folded, channel.is_op(session), list(channel.members)
    elif is_channel_name(target) or not is_valid_nick(target, server.config.nicklen):
        rb.fail("REDACT", "INVALID_TARGET", target, "No such channel or nick")
        return
    else:
        peer = server.find_user(target)
        key, op = dm_key(session.folded_nick, casefold(target)), False
        audience = [session] if peer is None else [session, peer]
    remote = casefold(target)
    if store is None:
        rb.fail("REDACT", "UNKNOWN_MSGID", target, msgid, "History is off on this server")
        return

    async def run() -> None:
        try:
            found = await store.message(key, msgid)
            refusal = None if found is None else _refusal(server, session, found, op)
            if found is None or found.kind in EVENT_KINDS:
                refusal = ("UNKNOWN_MSGID", "This message does not exist")
            if refusal is None and not await store.redact(
                key, msgid, session.source, session.account
            ):
                refusal = ("UNKNOWN_MSGID", "This message does not exist")
        except StorageError as exc:
            log.error("Redaction of %s in %s: %s", msgid, key, exc)
            rb.fail("REDACT", "TEMPORARILY_UNAVAILABLE", target, msgid, "History is unavailable")
            return
        if refusal is not None:
            code, text = refusal
            extra = (
                (str(server.config.redaction_window),) if code == "REDACT_WINDOW_EXPIRED" else ()
            )
            rb.fail("REDACT", code, target, msgid, *extra, text)
            return
        params = (target, msgid, reason) if reason else (target, msgid)
        relay = Line("REDACT", params, session.source, {"time": format_time(utc_now())})
        if CAP in session.caps:
            rb.add(relay)
        _tell(session, audience, relay)
        if channel is not None or peer is None:
            # The conversation's sessions on the network's other processes.
            server.network.publish(Redaction(key if channel is not None else remote, relay))

    server.defer(rb, run, block=True)


def _refusal(
    server: Server, session: Session, found: StoredMessage, op: bool
) -> tuple[str, str] | None:
    """Why *session* may not redact *found* (a code and a text), or None if it may."""
    if not op and not _is_own(session, found):
        return ("REDACT_FORBIDDEN", "You are not authorised to delete this message")
    window = server.config.redaction_window
    if window and utc_now() - found.time > timedelta(seconds=window):
        return ("REDACT_WINDOW_EXPIRED", "You can no longer delete this message")
    return None


def _is_own(session: Session, found: StoredMessage) -> bool:
    """Whether *found* was sent by *session*'s user: the same account if it was sent
    logged in, else the same ``nick!user@host``."""
    if found.account is not None:
        return session.account is not None and casefold(session.account) == casefold(found.account)
    return casefold(found.source) == casefold(session.source)


def _tell(session: Session, audience: Iterable[Session], line: Line) -> None:
    """Send the REDACT to the conversation's other sessions that enabled the cap."""
    for other in audience:
        if other is not session and CAP in other.caps and not other.closed:
            other.send_line(line)
