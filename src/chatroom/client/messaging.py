"""PRIVMSG and NOTICE: live messages, and the same lines replayed from history.

:func:`chat_message` reads one line into a :class:`Message` (or ``None`` for a
CTCP query that is not ``/me``); :func:`privmsg` decides which buffer a live
line belongs to. History batches (:mod:`chatroom.client.chathistory`) use
:func:`chat_message` with ``history=True`` and the batch's target as buffer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatroom import __version__
from chatroom.client.dispatch import is_me, line_message, nick_of, on
from chatroom.client.model import BufferKind, Message, MessageKind, mentions
from chatroom.protocol import Line
from chatroom.protocol.casemap import is_channel_name

if TYPE_CHECKING:
    from chatroom.client.core import ChatClient


def chat_message(
    client: ChatClient, line: Line, *, private: bool, history: bool = False
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


@on("PRIVMSG", "NOTICE")
def privmsg(client: ChatClient, line: Line) -> None:
    """:<nick> PRIVMSG <target> <text> (and NOTICE; CTCP ACTION is /me)"""
    if len(line.params) < 2:
        return
    sender = nick_of(line.source)
    target, text = line.params[0], line.params[1]
    notice = line.command == "NOTICE"
    if text.startswith("\x01"):
        ctcp, _, rest = text.strip("\x01").partition(" ")
        if ctcp.upper() != "ACTION":
            _ctcp(client, line, sender, ctcp.upper(), rest)
            return
    from_server = not line.source or "!" not in line.source
    own = is_me(client, sender) and not from_server
    bare = target.lstrip(client.isupport.get("STATUSMSG", "@+"))
    if from_server or target == "*":
        buffer = client.model.server
    elif is_channel_name(bare):
        buffer = client.open_buffer(bare, BufferKind.CHANNEL)
    elif notice and client.model.get(target if own else sender) is None:
        buffer = client.model.active_buffer  # a notice does not open a private chat
    else:
        buffer = client.open_buffer(target if own else sender, BufferKind.PRIVATE)
    if own and not notice:
        client.echo_received()
    message = chat_message(client, line, private=buffer.kind is BufferKind.PRIVATE)
    if message is not None:
        client.add(buffer, message)


def _ctcp(client: ChatClient, line: Line, sender: str, ctcp: str, rest: str) -> None:
    """Answer the harmless CTCP queries (VERSION, PING) and ignore the rest."""
    if line.command != "PRIVMSG" or not sender:
        return
    if ctcp == "VERSION":
        reply = f"\x01VERSION chatroom {__version__}\x01"
    elif ctcp == "PING":
        reply = f"\x01PING {rest}\x01"
    else:
        return
    client.send(Line("NOTICE", (sender, reply)))
