"""Reading server lines into model values: helpers the handlers share.

:func:`chat_message` reads a PRIVMSG/NOTICE line into a :class:`Message` (or
``None`` for a CTCP query that is not ``/me``); live lines
(:mod:`~chatroom.client.messaging`) and history batches
(:mod:`~chatroom.client.chathistory`) both use it.
"""

from __future__ import annotations

from chatroom.client.model import Message, MessageKind, mentions, parse_server_time
from chatroom.client.state import ClientState
from chatroom.protocol import Line, casefold


def nick_of(source: str | None) -> str:
    """The nick in a ``nick!user@host`` source (or the whole source)."""
    return (source or "").split("!", 1)[0]


def is_me(client: ClientState, nick: str) -> bool:
    return client.nick is not None and casefold(nick) == casefold(client.nick)


def with_reason(text: str, reason: str) -> str:
    return f"{text} ({reason})" if reason else text


def line_message(
    line: Line,
    kind: MessageKind,
    text: str,
    sender: str | None = None,
    *,
    own: bool = False,
    mention: bool = False,
    history: bool = False,
) -> Message:
    """A :class:`Message` carrying the line's ``time`` and ``msgid`` tags."""
    return Message(
        parse_server_time(line.tags.get("time")),
        kind,
        sender,
        text,
        own=own,
        mention=mention,
        msgid=line.tags.get("msgid"),
        history=history,
        reply_to=line.tags.get("+draft/reply") or None,
    )


def chat_message(
    client: ClientState, line: Line, *, private: bool, history: bool = False
) -> Message | None:
    """The message a PRIVMSG/NOTICE line carries, for a buffer that is a private
    chat (``private``) or not; ``None`` for CTCP other than ACTION and for
    lines with too few parameters.

    History lines are never mentions: they were read (or missed) long ago, so
    they must not light up the buffer as if someone had just called.
    """
    if len(line.params) < 2:
        return None
    sender = nick_of(line.source)
    text = line.params[1]
    kind = MessageKind.NOTICE if line.command == "NOTICE" else MessageKind.MESSAGE
    if text.startswith("\x01"):
        ctcp, _, rest = text.strip("\x01").partition(" ")
        if ctcp.upper() != "ACTION":
            return None
        kind, text = MessageKind.ACTION, rest
    from_server = not line.source or "!" not in line.source
    own = is_me(client, sender) and not from_server
    mention = not history and not own and not from_server
    mention = mention and (private or mentions(text, client.nick or ""))
    sender_shown = None if from_server else sender
    return line_message(line, kind, text, sender_shown, own=own, mention=mention, history=history)
