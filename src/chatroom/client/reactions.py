"""Replies and reactions (https://ircv3.net/specs/client-tags/reply and
https://ircv3.net/specs/client-tags/react) in the client core.

A reply is a PRIVMSG with ``+draft/reply=<msgid>``: its :class:`Message` keeps
the msgid in ``reply_to``. A reaction is a TAGMSG with ``+draft/reply=<msgid>``
and ``+draft/react=<reaction>``; taking it back sends ``+draft/unreact`` (as
ObsidianIRC does; the server keeps both in history and replays them with
``draft/event-playback``). The buffer keeps, per msgid, who reacted how; the UI
hears :class:`~chatroom.client.events.ReactionsChanged` with the counts. Clicking
a reaction toggles it: :func:`toggle_line` says which of the two to send.
"""

from __future__ import annotations

from chatroom.client.events import ReactionsChanged
from chatroom.client.lines import is_me, nick_of
from chatroom.client.model import Buffer, Message, Reaction
from chatroom.client.state import ClientState
from chatroom.protocol import Line
from chatroom.protocol.casemap import casefold, is_channel_name

REPLY_TAG = "+draft/reply"
REACT_TAG = "+draft/react"
UNREACT_TAG = "+draft/unreact"
MAX_MESSAGES = 2000
"""Messages whose reactions a buffer keeps; beyond it the oldest are forgotten."""


def apply(buffer: Buffer, msgid: str, text: str, nick: str, on: bool) -> bool:
    """Record that ``nick`` reacted to ``msgid`` with ``text`` (``on``) or took it
    back; returns whether anything changed."""
    given = buffer.reactions.get(msgid)
    if given is None:
        if not on:
            return False
        if len(buffer.reactions) >= MAX_MESSAGES:
            del buffer.reactions[next(iter(buffer.reactions))]
        given = buffer.reactions[msgid] = {}
    nicks = given.setdefault(text, [])
    folded = casefold(nick)
    present = any(casefold(n) == folded for n in nicks)
    if on == present:
        if not nicks:
            del given[text]
        return False
    if on:
        nicks.append(nick)
    else:
        nicks[:] = [n for n in nicks if casefold(n) != folded]
        if not nicks:
            del given[text]
    return True


def summary(buffer: Buffer, msgid: str, me: str) -> tuple[Reaction, ...]:
    """The reactions to ``msgid`` in the order first given; ``mine`` for ``me``'s."""
    folded = casefold(me)
    return tuple(
        Reaction(text, tuple(nicks), any(casefold(n) == folded for n in nicks))
        for text, nicks in buffer.reactions.get(msgid, {}).items()
    )


def received(client: ClientState, line: Line, buffer: Buffer | None = None) -> None:
    """@+draft/reply=<msgid>;+draft/react=<r> :<nick> TAGMSG <target> (or unreact),
    live or from a history batch (``buffer`` given). A reaction never opens a buffer."""
    msgid = line.tags.get(REPLY_TAG)
    on = REACT_TAG in line.tags
    text = line.tags.get(REACT_TAG if on else UNREACT_TAG)
    sender = nick_of(line.source)
    if not msgid or not text or not sender:
        return
    if buffer is None:
        target = line.params[0].lstrip(client.isupport.get("STATUSMSG", "@+"))
        name = target if is_channel_name(target) or is_me(client, sender) else sender
        buffer = client.model.get(name)
        if buffer is None:
            return
    if apply(buffer, msgid, text, sender, on):
        reactions = summary(buffer, msgid, client.nick or "")
        client.emit(ReactionsChanged(buffer.name, msgid, reactions))


def react_line(target: str, msgid: str, text: str, *, undo: bool = False) -> Line:
    """The TAGMSG that reacts to ``msgid`` in ``target`` with ``text`` (or takes it back)."""
    return Line(
        "TAGMSG", (target,), tags={REPLY_TAG: msgid, UNREACT_TAG if undo else REACT_TAG: text}
    )


def toggle_line(client: ClientState, buffer: Buffer, msgid: str, text: str) -> Line:
    """What clicking the reaction ``text`` under ``msgid`` sends: a reaction, or its
    undo when the user has given it already."""
    mine = any(r.mine for r in summary(buffer, msgid, client.nick or "") if r.text == text)
    return react_line(buffer.name, msgid, text, undo=mine)


def find_message(buffer: Buffer, chosen: str = "") -> Message | None:
    """The message ``/reply`` or ``/react`` means: the newest one with a msgid whose
    msgid starts with ``chosen`` or whose sender is ``chosen`` (casefolded);
    without ``chosen``, the newest one from someone else (else any)."""
    with_id = [m for m in reversed(buffer.messages) if m.msgid and m.sender]
    if chosen:
        folded = casefold(chosen)
        for message in with_id:
            if message.msgid and message.msgid.startswith(chosen):
                return message
            if message.sender and casefold(message.sender) == folded:
                return message
        return None
    others = [m for m in with_id if not m.own]
    return others[0] if others else (with_id[0] if with_id else None)


def message_by_id(buffer: Buffer, msgid: str) -> Message | None:
    """The message of ``buffer`` with ``msgid``, if it is still kept (newest first)."""
    if msgid not in buffer.msgids:
        return None
    return next((m for m in reversed(buffer.messages) if m.msgid == msgid), None)
