"""Deleted messages (IRCv3 ``draft/message-redaction``): ``REDACT`` from the server.

https://ircv3.net/specs/extensions/message-redaction: when a message is deleted (by its
sender or a channel operator) the server sends ``REDACT <target> <msgid> [reason]`` to
clients with the capability. The core then shows that message as deleted
(:meth:`~chatroom.client.model.ChatModel.delete`: its text becomes "message deleted") and
tells the UI (:class:`~chatroom.client.events.MessageDeleted`). A msgid the buffer does
not hold (older than what it keeps) changes nothing.

Sending: ``/delete`` (:func:`delete`) sends ``REDACT`` for one's newest message in the
active buffer, or the one named by a msgid prefix or a nick. The server's refusals
(``FAIL REDACT <code> ...``) are shown as sentences (:func:`redact_failed`).
"""

from __future__ import annotations

from chatroom.client.events import MessageDeleted
from chatroom.client.lines import is_me, nick_of
from chatroom.client.model import Buffer, BufferKind, Message, MessageKind
from chatroom.client.state import ClientState
from chatroom.protocol import Line
from chatroom.protocol.casemap import casefold, is_channel_name

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


def delete(client: ClientState, chosen: str = "") -> None:
    """``/delete [MSGID|NICK]`` in the active buffer: ``REDACT`` one's newest message,
    or the newest one whose msgid starts with ``chosen`` or that ``chosen`` sent (a
    channel operator may delete anyone's). Problems are shown, nothing raises."""
    buffer = client.model.active_buffer
    if buffer.kind is BufferKind.SERVER:
        client.note(
            "Switch to a room or private chat to delete a message there.", MessageKind.ERROR
        )
    elif CAP not in client.caps:
        client.note("This server does not let messages be deleted.", MessageKind.ERROR)
    elif (message := _deletable(buffer, chosen)) is None or message.msgid is None:
        what = f" matching {chosen}" if chosen else " of yours"
        client.note(f"No message{what} here to delete.", MessageKind.ERROR)
    else:
        client.send(Line("REDACT", (buffer.name, message.msgid)))


def _deletable(buffer: Buffer, chosen: str) -> Message | None:
    """The newest message of ``buffer`` not deleted yet with a msgid: one's own, or
    the one ``chosen`` names (a msgid prefix, else a sender's nick)."""
    candidates = [m for m in reversed(buffer.messages) if m.msgid and m.sender and not m.deleted]
    if not chosen:
        return next((m for m in candidates if m.own), None)
    folded = casefold(chosen)
    for message in candidates:
        assert message.msgid is not None and message.sender is not None
        if message.msgid.startswith(chosen) or casefold(message.sender) == folded:
            return message
    return None


_REFUSALS = {
    "REDACT_FORBIDDEN": "You can delete only your own messages (an operator: any in the channel).",
    "UNKNOWN_MSGID": "The server no longer has that message, so it cannot be deleted.",
    "INVALID_TARGET": "You can delete messages only where you are: join the channel first.",
    "TEMPORARILY_UNAVAILABLE": "The server cannot delete messages right now; try again later.",
}


def redact_failed(client: ClientState, line: Line) -> None:
    """FAIL REDACT <code> <target> [<msgid> [<window>]] <description>, as a sentence."""
    if line.command != "FAIL" or len(line.params) < 3:
        client.note(line.params[-1])
        return
    code, context = line.params[1], line.params[2:-1]
    text = _REFUSALS.get(code)
    if code == "REDACT_WINDOW_EXPIRED":
        window = context[2] if len(context) > 2 and context[2].isdigit() else ""
        limit = f" (messages can be deleted for {_duration(int(window))} after they are sent)"
        text = "Too late to delete that message" + (limit if window else "") + "."
    if text is None:
        text = f"Could not delete the message: {line.params[-1]}"
    client.note(text, MessageKind.ERROR)


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour" + ("s" if hours != 1 else "")
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute" + ("s" if minutes != 1 else "")
    return f"{seconds} seconds"
