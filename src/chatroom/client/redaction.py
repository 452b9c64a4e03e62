"""Deleted messages (IRCv3 ``draft/message-redaction``): ``REDACT`` from the server.

https://ircv3.net/specs/extensions/message-redaction: when a message is deleted (by its
sender or a channel operator) the server sends ``REDACT <target> <msgid> [reason]`` to
clients with the capability. The core then shows that message as deleted
(:meth:`~chatroom.client.model.ChatModel.delete`: its text becomes "message deleted") and
tells the UI (:class:`~chatroom.client.events.MessageDeleted`). A msgid the buffer does
not hold (older than what it keeps) changes nothing.
"""

from __future__ import annotations

from chatroom.client.events import MessageDeleted
from chatroom.client.lines import is_me, nick_of
from chatroom.client.state import ClientState
from chatroom.protocol import Line
from chatroom.protocol.casemap import is_channel_name

CAP = "draft/message-redaction"


def redact(client: ClientState, line: Line) -> None:
    """:<nick> REDACT <target> <msgid> [<reason>]"""
    target, msgid = line.params[0], line.params[1]
    sender = nick_of(line.source)
    # A private chat is filed under the other person: the target, unless it is us.
    name = target if is_channel_name(target) or not is_me(client, target) else sender
    buffer = client.model.get(name)
    if buffer is None:
        return
    gone = client.model.delete(buffer, msgid)
    if gone is None:
        return
    active = buffer.key == client.model.active
    client.emit(MessageDeleted(buffer.name, gone, client.backlog(buffer), active))
