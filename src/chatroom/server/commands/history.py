"""Message history: CHATHISTORY (https://ircv3.net/specs/extensions/chathistory) and
the operator's PURGE.

Who may read what:

- a channel's history: its current members only (so nobody who was never let into a
  ``+i``/``+k``/``+s`` room can read it);
- a private conversation: only the two parties. Conversations are keyed by nick, and
  nicks are reused, so a session reads only what was said while it held its nick
  (``Session.private_windows``): whoever takes a nick later, whether at registration,
  by NICK, during a registered nick's grace period or renamed to it, cannot read what
  was said to the one who had it before. A session logged in to the account named
  like its nick also reads everything since the account was created.

A channel that does not exist and one the user may not read get the same
``FAIL CHATHISTORY INVALID_TARGET`` (the draft's code), so the reply does not reveal
that a secret channel exists. An unknown ``msgid`` is ``INVALID_PARAMS``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold, is_channel_name, is_valid_channel, is_valid_nick
from chatroom.protocol.line import Line
from chatroom.protocol.numbers import parse_number
from chatroom.server.commands.multiline import in_batch, in_lines, with_ref
from chatroom.server.multiline import CAP as MULTILINE
from chatroom.server.multiline import split_stored
from chatroom.server.outgoing import format_time
from chatroom.server.response import new_batch_id
from chatroom.storage.base import (
    After,
    Anchor,
    Around,
    Before,
    Between,
    HistoryQuery,
    Latest,
    MessageKind,
    MsgidAnchor,
    StoredMessage,
    TimeAnchor,
)
from chatroom.storage.conversations import dm_key, dm_peer, dm_peers, is_dm_key
from chatroom.storage.errors import StorageError, UnknownMessageError

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")

#: IRCv3 chathistory "Event playback": JOIN, PART, … replayed too, to clients that ask.
EVENT_PLAYBACK = "draft/event-playback"
REDACTION = "draft/message-redaction"
SUBCOMMANDS = ("LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN", "TARGETS")
_PARAMS = {"LATEST": 3, "BEFORE": 3, "AFTER": 3, "AROUND": 3, "BETWEEN": 4, "TARGETS": 3}


Window = tuple[datetime, datetime | None]
"""A span of time ``[since, until)``; ``until`` None: up to now."""


class _BadParams(Exception):
    """A parameter of CHATHISTORY is malformed; the text says which."""


def parse_timestamp(text: str) -> datetime:
    """``YYYY-MM-DDThh:mm:ss[.sss]Z`` → an aware UTC datetime."""
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise _BadParams(f"Invalid timestamp {text!r}")


def parse_anchor(text: str, *, star: bool = False) -> Anchor | None:
    """``timestamp=…`` or ``msgid=…`` (or ``*`` where allowed, giving None)."""
    if star and text == "*":
        return None
    kind, sep, value = text.partition("=")
    if sep and kind == "timestamp":
        return TimeAnchor(parse_timestamp(value))
    if sep and kind == "msgid" and value:
        return MsgidAnchor(value)
    raise _BadParams(f"Invalid message reference {text!r}")


def parse_limit(text: str, maximum: int) -> int:
    limit = parse_number(text)
    if limit is None or limit < 1:
        raise _BadParams(f"Invalid limit {text!r}")
    return min(limit, maximum)


def chathistory(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """CHATHISTORY <subcommand> <target> <reference> [<reference>] <limit>"""
    store = server.history
    if store is None:
        rb.reply(n.ERR_UNKNOWNCOMMAND, "CHATHISTORY", "History is off on this server")
        return
    sub = line.params[0].upper()
    if sub not in SUBCOMMANDS:
        rb.fail("CHATHISTORY", "INVALID_PARAMS", line.params[0], "Unknown subcommand")
        return
    if len(line.params) < 1 + _PARAMS[sub]:
        rb.fail("CHATHISTORY", "INVALID_PARAMS", sub, "Not enough parameters")
        return
    limit_max = server.config.history_query_limit
    args = line.params[1:]
    try:
        if sub == "TARGETS":
            start = parse_timestamp(_strip(args[0]))
            end = parse_timestamp(_strip(args[1]))
            limit = parse_limit(args[2], limit_max)
            asker = _Asker.of(session)
            server.defer(rb, lambda: _targets(server, session, asker, rb, start, end, limit))
            return
        target = args[0]
        if not is_channel_name(target) and not is_valid_nick(target, 64):
            rb.fail("CHATHISTORY", "INVALID_TARGET", sub, target, "Invalid target")
            return
        if is_channel_name(target) and not is_valid_channel(target, server.config.channellen):
            rb.fail("CHATHISTORY", "INVALID_TARGET", sub, target, "Invalid target")
            return
        key = _readable_key(server, session, target)
        query = _build_query(sub, args, limit_max, key or "")
        if EVENT_PLAYBACK in session.caps:  # the channel events too (see server/events.py)
            query = replace(query, events=True)
    except _BadParams as exc:
        rb.fail("CHATHISTORY", "INVALID_PARAMS", sub, str(exc))
        return
    if key is None:
        # The same answer for a channel that does not exist and one the user may
        # not read, so the reply does not reveal that a secret channel exists.
        rb.fail("CHATHISTORY", "INVALID_TARGET", sub, target, "Messages could not be retrieved")
        return
    # Decided now: a NICK handled while the query runs must not change what it may read.
    windows = None if is_channel_name(target) else session.private_windows()
    shown = _canonical(server, target)
    tagmsg = EVENT_PLAYBACK in session.caps and "message-tags" in session.caps
    # A redacted message's tombstone replays as REDACT only to clients with the cap.
    skip = frozenset(
        ([] if tagmsg else [MessageKind.TAGMSG])
        + ([] if REDACTION in session.caps else [MessageKind.REDACT])
    )
    server.defer(rb, lambda: _messages(server, session, rb, sub, shown, query, windows, skip))


def _canonical(server: Server, target: str) -> str:
    """The batch's target as everything else shows it: the channel's own name, the
    user's nick as it is now; the name as asked when neither is known here."""
    if is_channel_name(target):
        channel = server.find_channel(target)
        return target if channel is None else channel.name
    user = server.find_user(target)
    if user is not None:
        return user.nick
    remote = server.network.view.users.get(casefold(target))
    return target if remote is None else remote.nick


def _strip(reference: str) -> str:
    """TARGETS takes ``timestamp=…`` references; accept them bare too."""
    return reference.partition("=")[2] if reference.startswith("timestamp=") else reference


def _build_query(sub: str, args: tuple[str, ...], limit_max: int, key: str) -> HistoryQuery:
    if sub == "LATEST":
        return Latest(key, parse_limit(args[2], limit_max), parse_anchor(args[1], star=True))
    if sub == "BETWEEN":
        start = parse_anchor(args[1])
        end = parse_anchor(args[2])
        assert start is not None and end is not None
        return Between(key, start, end, parse_limit(args[3], limit_max))
    anchor = parse_anchor(args[1])
    assert anchor is not None
    limit = parse_limit(args[2], limit_max)
    if sub == "BEFORE":
        return Before(key, anchor, limit)
    if sub == "AFTER":
        return After(key, anchor, limit)
    return Around(key, anchor, limit)


def _readable_key(server: Server, session: Session, target: str) -> str | None:
    """The conversation key ``session`` may read for ``target``, or None."""
    if is_channel_name(target):
        channel = server.find_channel(target)
        if channel is None or session not in channel.members:
            return None
        return channel.folded
    return dm_key(session.folded_nick, casefold(target))


async def _messages(
    server: Server,
    session: Session,
    rb: ResponseBuffer,
    sub: str,
    target: str,
    query: HistoryQuery | None,
    windows: list[Window] | None,
    skip: frozenset[MessageKind],
) -> None:
    """Answer with a chathistory batch; ``query`` None (not readable) gives an empty one.

    ``windows``: for a private conversation, the times whose messages may be shown;
    ``skip``: the kinds not to replay (TAGMSG but with event-playback and message-tags,
    REDACT but with message-redaction)."""
    store = server.history
    assert store is not None
    messages: list[StoredMessage] = []
    if query is not None:
        try:
            messages = await store.query(query)
        except UnknownMessageError as exc:
            # The draft's code for a reference it cannot use; no code of our own.
            rb.fail(
                "CHATHISTORY",
                "INVALID_PARAMS",
                sub,
                f"msgid={exc.msgid}",
                "Unknown message reference",
            )
            return
        except StorageError as exc:
            log.error("History query for %s failed: %s", target, exc)
            rb.fail("CHATHISTORY", "MESSAGE_ERROR", sub, target, "Messages could not be retrieved")
            return
        if windows is not None:
            messages = [m for m in messages if _inside(m.time, windows)]
    if session.closed:
        return
    ref = rb.start_batch("chathistory", target, whole=True)
    # Up to CHATHISTORY=N long lines: sent as read.
    rb.stream(_replayed(messages, skip, MULTILINE in session.caps))
    rb.end_batch(ref)


def _replayed(
    messages: list[StoredMessage], skip: frozenset[MessageKind], multiline: bool = False
) -> Iterator[Line]:
    """The messages as lines, but the kinds in ``skip``; one kept from a multiline batch
    as a (nested) ``draft/multiline`` batch when ``multiline``, else as separate lines."""
    for message in messages:
        # Without event-playback only PRIVMSG and NOTICE may be replayed (spec); the
        # query left the channel events out already.
        if message.kind in skip:
            continue
        tags = {"time": format_time(message.time), "msgid": message.msgid, **message.tags}
        if message.account:
            tags["account"] = message.account
        line = Line(message.kind.value, message.params, message.source, tags)
        if message.kind in _TEXT and "\n" in message.text:  # events join params with \n
            yield from _multiline(line, message.text, multiline)
        else:
            yield line


_TEXT = (MessageKind.PRIVMSG, MessageKind.NOTICE)


def _multiline(head: Line, text: str, as_batch: bool) -> Iterator[Line]:
    parts = split_stored(text)
    if not as_batch:
        yield from in_lines(head, parts)
        return
    ref = new_batch_id()
    for line in in_batch(head, parts):
        yield with_ref(line, ref)


@dataclass(frozen=True)
class _Asker:
    """What TARGETS may list, read when the command arrives: a PART or NICK handled
    while the query runs must neither change the answer's rules nor break it."""

    names: dict[str, str]  # folded channel -> its name, of the channels it is in
    me: str  # its folded nick
    windows: list[Window]  # when its private messages may be shown

    @classmethod
    def of(cls, session: Session) -> _Asker:
        names = {c.folded: c.name for c in session.channels}
        return cls(names, session.folded_nick, session.private_windows())


async def _targets(
    server: Server,
    session: Session,
    asker: _Asker,
    rb: ResponseBuffer,
    start: datetime,
    end: datetime,
    limit: int,
) -> None:
    store = server.history
    assert store is not None
    names, me, windows = asker.names, asker.me, asker.windows
    low, high = min(start, end), max(start, end)
    private: dict[str, datetime] = {}
    try:
        found = await store.targets(start, end, limit, channels=list(names))
        # Private conversations only inside the times this session may read (see above):
        # one query per window, each limited to the part of [low, high] it covers.
        for since, until in windows:
            lo, hi = max(low, since), high if until is None else min(high, until)
            if lo >= hi:
                continue
            bounds = (lo, hi) if start < end else (hi, lo)
            for activity in await store.targets(*bounds, limit, nick=me):
                if is_dm_key(activity.target) and _inside(activity.latest, windows):
                    latest = private.get(activity.target)
                    if latest is None or activity.latest > latest:
                        private[activity.target] = activity.latest
    except StorageError as exc:
        log.error("History TARGETS query failed: %s", exc)
        rb.fail("CHATHISTORY", "MESSAGE_ERROR", "TARGETS", "*", "Messages could not be retrieved")
        return
    if session.closed:
        return
    shown: list[tuple[datetime, str]] = [
        (a.latest, names[a.target]) for a in found if a.target in names
    ]
    for key, latest in private.items():
        if me in dm_peers(key):
            shown.append((latest, dm_peer(key, me)))
    shown.sort(key=lambda pair: pair[0], reverse=start > end)
    del shown[limit:]
    shown.sort(key=lambda pair: pair[0])
    ref = rb.start_batch("draft/chathistory-targets")
    for latest, name in shown:
        rb.add(Line("CHATHISTORY", ("TARGETS", name, format_time(latest)), server.config.name))
    rb.end_batch(ref)


def _inside(when: datetime, windows: list[Window]) -> bool:
    return any(since <= when and (until is None or when < until) for since, until in windows)


def purge(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """PURGE <channel>: delete a room's whole history (operators only)."""
    store = server.history
    name = line.params[0]
    if store is None:
        rb.fail("PURGE", "HISTORY_OFF", name, "History is off on this server")
        return
    if not is_valid_channel(name, server.config.channellen):
        rb.fail("PURGE", "INVALID_TARGET", name, "Only a channel's history can be purged")
        return

    async def run() -> None:
        try:
            count = await store.purge(casefold(name))
        except StorageError as exc:
            rb.fail("PURGE", "MESSAGE_ERROR", name, f"Could not purge: {exc}")
        else:
            log.info("%s purged the history of %s (%d messages)", session.source, name, count)
            rb.add(
                Line(
                    "NOTE", ("PURGE", "DONE", name, f"Deleted {count} messages"), server.config.name
                )
            )

    server.defer(rb, run)
