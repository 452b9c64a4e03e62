"""Sending messages: PRIVMSG, NOTICE and TAGMSG to channels and nicks.

This is the hot path. A message is formatted once per tag profile
(:class:`~chatroom.server.outgoing.Outgoing`) and the same bytes are queued
for every recipient; writes are coalesced per event-loop turn by the server.

Durability (DESIGN.md): a message that history keeps is relayed, and echoed
to its sender, only once the store reports it durable. If the store cannot
write it (disk full, database down), nobody gets it and the sender gets
``FAIL <command> TEMPORARILY_UNAVAILABLE <target>``; while the store is not
writable every new message is refused that way up front, until it recovers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold, is_channel_name
from chatroom.protocol.line import Line
from chatroom.server.commands import services
from chatroom.server.network.events import ChannelMessage, PrivateMessage
from chatroom.server.outgoing import MSGTAGS, Outgoing, format_time
from chatroom.server.presence import BOT_MODE
from chatroom.server.response import ResponseBuffer
from chatroom.storage.base import MessageKind, StoredMessage, dm_key

if TYPE_CHECKING:
    from chatroom.server.metrics import Metrics
    from chatroom.server.network import Network
    from chatroom.server.server import Server
    from chatroom.server.session import Session

log = logging.getLogger("chatroom.server")


def privmsg(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """PRIVMSG <target>{,<target>} <text to be sent>"""
    deliver(server, session, line, rb, "PRIVMSG")


def notice(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """NOTICE <target>{,<target>} <text to be sent>"""
    deliver(server, session, line, rb, "NOTICE")


def tagmsg(server: Server, session: Session, line: Line, rb: ResponseBuffer) -> None:
    """TAGMSG <target>{,<target>} (https://ircv3.net/specs/extensions/message-tags)"""
    deliver(server, session, line, rb, "TAGMSG")


def deliver(server: Server, session: Session, line: Line, rb: ResponseBuffer, verb: str) -> None:
    """Relay one message to each of its targets, with the errors Modern IRC lists."""
    is_notice = verb == "NOTICE"
    params = line.params
    if not params or not params[0]:
        if not is_notice:
            rb.reply(n.ERR_NORECIPIENT, f"No recipient given ({verb})")
        return
    text = ""
    if verb != "TAGMSG":
        if len(params) < 2 or not params[1]:
            if not is_notice:
                rb.reply(n.ERR_NOTEXTTOSEND, "No text to send")
            return
        text = params[1]
    targets = params[0].split(",")
    if len(targets) > server.config.max_targets:
        if not is_notice:
            rb.reply(
                n.ERR_TOOMANYTARGETS,
                params[0],
                f"Too many targets, at most {server.config.max_targets} at once",
            )
        return
    # A target named twice gets the message once ("#c,#C,#c" is one channel, checked
    # and relayed once), as other servers do.
    once: dict[str, str] = {}
    for target in targets:
        once.setdefault(casefold(target), target)
    targets = list(once.values())
    client_tags = (
        {k: v for k, v in line.tags.items() if k[:1] == "+"}
        if line.tags and "message-tags" in session.caps
        else {}
    )
    if verb == "TAGMSG" and not client_tags:
        return
    if verb == "PRIVMSG":
        session.last_message = server.now()
    echo = "echo-message" in session.caps
    history = server.history
    store = history if verb != "TAGMSG" else None
    stored: list[tuple[StoredMessage, Callable[[], None], Line | None, str]] = []
    for target in targets:
        status = ""
        name = target
        if name[:1] in "@+" and is_channel_name(name[1:]):
            status, name = name[0], name[1:]
        message_params = (target,) if verb == "TAGMSG" else (target, text)
        recipients: list[Session]
        present: Container[Session]  # where to look for the sender, in O(1) if it can be
        if is_channel_name(name):
            channel = server.find_channel(name)
            if channel is None:
                if not is_notice:
                    rb.reply(n.ERR_NOSUCHCHANNEL, name, "No such channel")
                continue
            if not channel.can_speak(session):
                if not is_notice:
                    rb.reply(n.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel")
                continue
            members = channel.members
            if status:
                recipients = [m for m, s in members.items() if s and (status == "+" or "o" in s)]
                present = recipients
            else:
                recipients = list(members)
                present = members
            key = channel.folded
        elif casefold(name) == "chanserv":
            if verb == "PRIVMSG":
                # ChanServ answers on its own (it may answer later, after the store).
                answer = ResponseBuffer(session, None, verb)
                services.handle(server, session, text.split(), answer)
                if not answer.deferred:
                    answer.send()
            continue
        else:
            recipient = server.find_user(name)
            if recipient is None:
                remote = casefold(name)
                elsewhere = server.network.view.users.get(remote)
                if elsewhere is None:
                    if not is_notice:
                        rb.reply(n.ERR_NOSUCHNICK, name, "No such nick/channel")
                    continue
                # Owned by another process of the network: it delivers.
                if verb == "PRIVMSG" and elsewhere.away is not None:
                    rb.reply(n.RPL_AWAY, elsewhere.nick, elsewhere.away)
                recipients = present = []
                key = dm_key(session.folded_nick, remote)
            else:
                if verb == "PRIVMSG" and recipient.away is not None:
                    rb.reply(n.RPL_AWAY, recipient.nick, recipient.away)
                recipients = present = [recipient]
                key = dm_key(session.folded_nick, recipient.folded_nick)
        if history is not None and not history.writable:
            # Not only what history keeps: while it is failing nothing new goes out, so a
            # conversation cannot go on half in history and half not.
            _refuse(rb, verb, target)
            continue
        when = datetime.now(UTC)
        msgid = server.new_msgid()
        tags = {"time": format_time(when), "msgid": msgid, **client_tags}
        if session.account is not None:
            tags["account"] = session.account
        if BOT_MODE in session.modes:
            tags["bot"] = ""  # without a value (https://ircv3.net/specs/extensions/bot-mode)
        out = Outgoing(Line(verb, message_params, session.source, tags))
        # What is relayed (cut to fit 512 bytes after the source) is what is stored.
        sent = out.line.params[-1] if verb != "TAGMSG" else text
        # A private message to yourself arrives like any other (unless echo-message
        # shows it); in a channel where you are the only member here, it does not.
        to_self = recipients == [session] and not is_channel_name(name)
        skip = session if not to_self or echo else None
        # Counted once per relay, never per recipient: the hot loop stays as it is.
        count = len(recipients) - (skip is not None and skip in present)
        relay: Callable[[], None] = partial(
            _relay, out, recipients, skip, verb == "TAGMSG", server.metrics, count
        )
        if not server.network.is_local:
            # Alone, nobody would receive the event: building it costs a tenth of
            # this hot path (measured), so it is not built.
            relay = partial(_relay_and_publish, relay, server.network, out.line, target, status)
        if echo:
            rb.add(out.line)
        echoed = out.line if echo else None
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %s: %s", session.nick, verb, target, text)
        if store is None or status:
            relay()
        else:
            message = StoredMessage(
                msgid,
                when,
                key,
                MessageKind(verb),
                session.source,
                target,
                sent,
                session.account,
                client_tags,
            )
            stored.append((message, relay, echoed, target))
    if store is not None and stored:
        # Durability first (DESIGN.md): relay, and answer the sender, only once the
        # store has the message. Callbacks run in append order, so the last one
        # also sends the sender's replies.
        rb.deferred = True
        last = len(stored) - 1
        started = server.now()
        server.metrics.history_pending += len(stored)
        for i, (message, then_relay, echoed, target) in enumerate(stored):
            session.pending_stores += 1
            done = partial(_after_store, session, rb, i == last, then_relay, echoed, verb, target)
            store.append(message, partial(_measured, server, started, done))


def _relay(
    out: Outgoing,
    recipients: list[Session],
    skip: Session | None,
    tagmsg: bool,
    metrics: Metrics,
    count: int,
) -> None:
    """Queue ``out`` for every recipient but ``skip`` (TAGMSG only to message-tags);
    ``count`` is how many that is (for TAGMSG, at most)."""
    metrics.relays += 1
    metrics.deliveries += count
    render = out.render
    if tagmsg:
        for member in recipients:
            if member is not skip and member.tag_profile & MSGTAGS:
                member.send_bytes(render(member.tag_profile))
        return
    # The hot loop of the whole server: one cached render and one append per member.
    for member in recipients:
        if member is not skip:
            member.send_bytes(render(member.tag_profile))


def _relay_and_publish(
    relay: Callable[[], None], network: Network, line: Line, target: str, status: str
) -> None:
    """Relay here, then publish once for the other processes (same moment, same order)."""
    relay()
    tagmsg = line.command == "TAGMSG"
    name = target[1:] if status else target
    if is_channel_name(name):
        network.publish(ChannelMessage(casefold(name), line, status, tagmsg))
    elif casefold(name) in network.view.users:
        network.publish(PrivateMessage(casefold(name), line, tagmsg))


def _refuse(rb: ResponseBuffer, verb: str, target: str) -> None:
    """Tell the sender that its message to *target* was not sent (IRCv3 standard-replies).

    Sent for NOTICE too: it is the server's answer, not an automatic reply to a message.
    """
    rb.fail(
        verb,
        "TEMPORARILY_UNAVAILABLE",
        target,
        "Message history cannot be written right now (the server's disk may be full); "
        "your message was not sent, try again later",
    )


def _measured(server: Server, started: float, then: Callable[[bool], None], ok: bool) -> None:
    """Count a message history stored (or not) and how long it took, then go on."""
    server.metrics.stored(ok, server.now() - started)
    then(ok)


def _after_store(
    session: Session,
    rb: ResponseBuffer,
    last: bool,
    relay: Callable[[], None],
    echoed: Line | None,
    verb: str,
    target: str,
    ok: bool,
) -> None:
    # Only a stored message goes out: a message anyone received must be in history. One
    # that could not be stored reached nobody; its sender learns so instead of its echo.
    try:
        if ok:
            relay()
        else:
            if echoed is not None:
                rb.lines.remove(echoed)
            _refuse(rb, verb, target)
        if last:
            rb.send()
    finally:
        session.stored()  # never leave the session waiting on a message that was handled
