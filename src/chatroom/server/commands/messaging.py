"""Sending messages: PRIVMSG, NOTICE and TAGMSG to channels and nicks.

This is the hot path. A message is formatted once per tag profile
(:class:`~chatroom.server.outgoing.Outgoing`) and the same bytes are queued
for every recipient; writes are coalesced per event-loop turn by the server.
A message to a whole channel is not even queued per member: the channel's
messages of one loop turn share one :class:`~chatroom.server.outgoing.Segment`
in every member's output (:func:`_relay_to_channel`).

Durability (DESIGN.md): a message that history keeps is relayed, and echoed
to its sender, only once the store reports it durable. If the store cannot
write it (disk full, database down), nobody gets it and the sender gets
``FAIL <command> TEMPORARILY_UNAVAILABLE <target>``; while the store is not
writable every new message is refused that way up front, until it recovers.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Collection, Container
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import casefold, is_channel_name
from chatroom.protocol.line import Line
from chatroom.server.commands import services
from chatroom.server.network.events import ChannelMessage, PrivateMessage
from chatroom.server.outgoing import MSGTAGS, Outgoing, Segment, format_time
from chatroom.server.presence import BOT_MODE
from chatroom.server.reactions import KEPT_TAGS, ReactionLimiter
from chatroom.server.response import ResponseBuffer
from chatroom.server.typing_limit import TYPING_TAG, TypingLimiter
from chatroom.storage.base import MessageKind, StoredMessage
from chatroom.storage.conversations import dm_key

if TYPE_CHECKING:
    from chatroom.server.channel import Channel
    from chatroom.server.metrics import Metrics
    from chatroom.server.network import Network
    from chatroom.server.server import Server
    from chatroom.server.session import Session
    from chatroom.storage.base import HistoryStore

log = logging.getLogger("chatroom.server")

_Stored = tuple[StoredMessage, Callable[[], None], Line | None, str]
"""A message waiting for the store: itself, how to relay it, its echo, its target."""


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
    """Relay one message to each of its targets, with the errors Modern IRC lists.

    Each target is checked and sent on its own (:func:`_send_to`); a message history
    keeps is relayed, and the sender answered, once stored (:func:`_store_then_relay`).
    NOTICE gets no error numerics, only the FAIL of a store that cannot write."""
    targets = _targets(server, line, rb, verb)
    if targets is None:
        return
    text = line.params[1] if verb != "TAGMSG" else ""
    client_tags = (
        {k: v for k, v in line.tags.items() if k[:1] == "+"}
        if line.tags and "message-tags" in session.caps
        else {}
    )
    if verb == "TAGMSG" and not client_tags:
        return
    if verb == "PRIVMSG":
        session.last_message = server.now()
    store = server.history if verb != "TAGMSG" else None
    stored: list[_Stored] = []
    for target in targets:
        tags = client_tags
        kept = store
        if verb == "TAGMSG":
            if TYPING_TAG in tags:
                tags = _typing_limited(server, session, target, tags)
                if not tags:
                    continue
            if not KEPT_TAGS.isdisjoint(tags):
                # A reaction is kept in history like a message (react spec, issue 18).
                if _reaction_refused(session, rb, target, tags):
                    continue
                kept = server.history
        _send_to(server, session, rb, verb, target, text, tags, kept, stored)
    if server.history is not None and stored:
        _store_then_relay(server, server.history, session, rb, verb, stored)


def _reaction_refused(
    session: Session, rb: ResponseBuffer, target: str, tags: dict[str, str]
) -> bool:
    """True, after a ``FAIL TAGMSG INVALID_REACTION``, when the reaction in ``tags``
    breaks a bound of :mod:`~chatroom.server.reactions`; nothing of it goes out."""
    if session.reactions is None:
        session.reactions = ReactionLimiter()
    why = session.reactions.check(casefold(target), tags)
    if why is None:
        return False
    rb.fail("TAGMSG", "INVALID_REACTION", target, why)
    return True


def _typing_limited(
    server: Server, session: Session, target: str, tags: dict[str, str]
) -> dict[str, str]:
    """``tags`` without ``+typing`` when the spec's rate drops it for ``target``
    (:mod:`~chatroom.server.typing_limit`), else ``tags`` as they are."""
    if session.typing is None:
        session.typing = TypingLimiter()
    if session.typing.allow(casefold(target), tags[TYPING_TAG], server.now()):
        return tags
    return {k: v for k, v in tags.items() if k != TYPING_TAG}


def _without_typing(tags: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if k != TYPING_TAG}


def _targets(server: Server, line: Line, rb: ResponseBuffer, verb: str) -> list[str] | None:
    """The distinct targets of a message whose parameters are complete, or None
    after the error reply (none for NOTICE) when they are not: no target, no text
    (but TAGMSG), more targets than ``max_targets``."""
    is_notice = verb == "NOTICE"
    params = line.params
    if not params or not params[0]:
        if not is_notice:
            rb.reply(n.ERR_NORECIPIENT, f"No recipient given ({verb})")
        return None
    if verb != "TAGMSG" and (len(params) < 2 or not params[1]):
        if not is_notice:
            rb.reply(n.ERR_NOTEXTTOSEND, "No text to send")
        return None
    targets = params[0].split(",")
    if len(targets) > server.config.max_targets:
        if not is_notice:
            rb.reply(
                n.ERR_TOOMANYTARGETS,
                params[0],
                f"Too many targets, at most {server.config.max_targets} at once",
            )
        return None
    # A target named twice gets the message once ("#c,#C,#c" is one channel, checked
    # and relayed once), as other servers do.
    once: dict[str, str] = {}
    for target in targets:
        once.setdefault(casefold(target), target)
    return list(once.values())


def _send_to(
    server: Server,
    session: Session,
    rb: ResponseBuffer,
    verb: str,
    target: str,
    text: str,
    client_tags: dict[str, str],
    store: HistoryStore | None,
    stored: list[_Stored],
) -> None:
    """Check one target and send the message to it: relayed now, or added to
    ``stored`` when ``store`` keeps it (relayed once stored). A refused target gets
    its error reply in ``rb``; a message while history is not writable, a FAIL."""
    status = ""
    name = target
    if name[:1] in "@+" and is_channel_name(name[1:]):
        status, name = name[0], name[1:]
    found = _recipients(server, session, rb, verb, name, status, text)
    if found is None:
        return
    recipients, present, key, shown, channel = found
    if channel is not None and store is not None:
        # Relayed once stored: to the members as they are now, not as they will be.
        recipients = list(recipients)
    history = server.history
    if history is not None and not history.writable:
        # Not only what history keeps: while it is failing nothing new goes out, so a
        # conversation cannot go on half in history and half not.
        _refuse(rb, verb, target)
        return
    when = datetime.now(UTC)
    tags = _message_tags(server, session, when, client_tags)
    msgid = tags["msgid"]
    # Relayed and stored under the channel's own name (as JOIN and NAMES show it) or
    # the recipient's nick as it is now, whatever case the sender wrote.
    message_params = (shown,) if verb == "TAGMSG" else (shown, text)
    out = Outgoing(Line(verb, message_params, session.source, tags))
    echo = "echo-message" in session.caps
    # A private message to yourself arrives like any other (unless echo-message
    # shows it); in a channel where you are the only member here, it does not.
    to_self = recipients == [session] and not is_channel_name(name)
    skip = session if not to_self or echo else None
    # Counted once per relay, never per recipient: the hot loop stays as it is.
    count = len(recipients) - (skip is not None and skip in present)
    relay = _how_to_relay(server, out, channel, recipients, skip, count, target, status)
    if echo:
        rb.add(out.line)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s %s %s: %s", session.nick, verb, target, text)
    if store is None or status:
        relay()
        return
    # What is relayed (cut to fit 512 bytes after the source) is what is stored.
    sent = out.line.params[-1] if verb != "TAGMSG" else text
    message = StoredMessage(
        msgid,
        when,
        key,
        MessageKind(verb),
        session.source,
        shown,
        sent,
        session.account,
        # A typing notification riding along with a reaction is not history.
        client_tags if TYPING_TAG not in client_tags else _without_typing(client_tags),
    )
    stored.append((message, relay, out.line if echo else None, target))


def _how_to_relay(
    server: Server,
    out: Outgoing,
    channel: Channel | None,
    recipients: Collection[Session],
    skip: Session | None,
    count: int,
    target: str,
    status: str,
) -> Callable[[], None]:
    """What relays ``out``, now or once stored: to a whole channel through its shared
    segment, to anyone else one by one; published to the network's other processes."""
    relay: Callable[[], None]
    tagmsg = out.line.command == "TAGMSG"
    if channel is not None and not tagmsg:
        epoch = channel.epoch
        relay = partial(
            _relay_to_channel, out, channel, epoch, recipients, skip, server.metrics, count
        )
    else:
        relay = partial(_relay, out, recipients, skip, tagmsg, server.metrics, count)
    if not server.network.is_local:
        # Alone, nobody would receive the event: building it costs a tenth of
        # this hot path (measured), so it is not built.
        relay = partial(_relay_and_publish, relay, server.network, out.line, target, status)
    return relay


def _recipients(
    server: Server,
    session: Session,
    rb: ResponseBuffer,
    verb: str,
    name: str,
    status: str,
    text: str,
) -> tuple[Collection[Session], Container[Session], str, str, Channel | None] | None:
    """The local sessions a message to ``name`` goes to (for a whole channel, its live
    members: copy them to relay later), the same as a container that answers ``in`` at
    once (to count them without a scan), the history key of the
    conversation, the target as relayed (the channel's own name, with the status
    prefix; the user's nick as it is now) and the channel when the message is for all
    its members (no status prefix); None when it goes nowhere: the target was
    refused (the error is in ``rb``, none for NOTICE) or answered (ChanServ). A nick
    on another process of the network has no local recipient: that process delivers."""
    is_notice = verb == "NOTICE"
    if is_channel_name(name):
        channel = server.find_channel(name)
        if channel is None:
            if not is_notice:
                rb.reply(n.ERR_NOSUCHCHANNEL, name, "No such channel")
            return None
        if not channel.can_speak(session):
            if not is_notice:
                rb.reply(n.ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel")
            return None
        members = channel.members
        shown = status + channel.name
        if status:
            chosen = [m for m, s in members.items() if s and (status == "+" or "o" in s)]
            return chosen, members, channel.folded, shown, None
        # The live members, not a copy: a message relayed at once goes to them as they are.
        return members, members, channel.folded, shown, channel
    folded = casefold(name)
    if folded == "chanserv":
        if verb == "PRIVMSG":
            _ask_chanserv(server, session, text)
        return None
    recipient = server.find_user(name)
    user = recipient if recipient is not None else server.network.view.users.get(folded)
    if user is None:
        if not is_notice:
            rb.reply(n.ERR_NOSUCHNICK, name, "No such nick/channel")
        return None
    if verb == "PRIVMSG" and user.away is not None:
        rb.reply(n.RPL_AWAY, user.nick, user.away)
    if recipient is None:  # owned by another process of the network: it delivers
        return [], (), dm_key(session.folded_nick, folded), user.nick, None
    alone = [recipient]
    return alone, alone, dm_key(session.folded_nick, recipient.folded_nick), recipient.nick, None


def _ask_chanserv(server: Server, session: Session, text: str) -> None:
    """ChanServ answers on its own (it may answer later, after the store)."""
    answer = ResponseBuffer(session, None, "PRIVMSG")
    services.handle(server, session, text.split(), answer)
    if not answer.deferred:
        answer.send()


def _store_then_relay(
    server: Server,
    store: HistoryStore,
    session: Session,
    rb: ResponseBuffer,
    verb: str,
    stored: list[_Stored],
) -> None:
    """Durability first (DESIGN.md): store each message, and relay it, and answer
    the sender, only once the store has it. The sender's next lines wait meanwhile
    (``pending_stores``)."""
    # Callbacks run in append order, so the last one also sends the sender's replies.
    rb.deferred = True
    last = len(stored) - 1
    started = server.now()
    server.metrics.history_pending += len(stored)
    for i, (message, then_relay, echoed, target) in enumerate(stored):
        session.pending_stores += 1
        done = partial(_after_store, session, rb, i == last, then_relay, echoed, verb, target)
        store.append(message, partial(_measured, server, started, done))


def _measured(server: Server, started: float, then: Callable[[bool], None], ok: bool) -> None:
    """Count a message history stored (or not) and how long it took, then go on."""
    server.metrics.stored(ok, server.now() - started)
    then(ok)


def _relay(
    out: Outgoing,
    recipients: Collection[Session],
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


def _relay_to_channel(
    out: Outgoing,
    channel: Channel,
    epoch: int,
    recipients: Collection[Session],
    skip: Session | None,
    metrics: Metrics,
    count: int,
) -> None:
    """Relay ``out`` to every member of ``channel`` but ``skip``, as ``recipients`` were
    its members when the message came (membership ``epoch``): add it to the channel's
    open segment for that membership, or open one in every recipient's output first."""
    metrics.relays += 1
    metrics.deliveries += count
    # The hot path of a busy channel: per member, work only once per loop turn (when a
    # segment opens); per message, one append. bench/relay.py measures it.
    ref = channel.segment
    segment = ref() if ref is not None else None
    if segment is None or not segment.open or segment.epoch != epoch or channel.epoch != epoch:
        segment = Segment(epoch)
        channel.segment = weakref.ref(segment)
        for member in recipients:
            member.queue_segment(segment)
    segment.add(out, skip)


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


def _message_tags(
    server: Server, session: Session, when: datetime, client_tags: dict[str, str]
) -> dict[str, str]:
    """The tags a message is relayed and stored with: its time and new msgid, the
    sender's client tags, and the sender's account and bot mode (one line or a
    multiline batch alike)."""
    tags = {"time": format_time(when), "msgid": server.new_msgid(), **client_tags}
    if session.account is not None:
        tags["account"] = session.account
    if BOT_MODE in session.modes:
        tags["bot"] = ""  # without a value (https://ircv3.net/specs/extensions/bot-mode)
    return tags
