"""Read markers (IRCv3 ``draft/read-marker``): what the user has read, shared by devices.

The server keeps, per account and conversation, the time of the last message read
(https://ircv3.net/specs/extensions/read-marker). The core keeps it per buffer
(``Buffer.read_marker``) and:

- sends ``MARKREAD <target> timestamp=…`` when the UI reports a buffer as read
  (:func:`mark_read`: the buffer is on screen and the window has the focus; the
  terminal and Tk views call it on switching, on focus and on a message arriving
  in the buffer on screen);
- on ``MARKREAD`` from the server (after a JOIN, or because another device of the
  account read further), moves the buffer's marker and counts its unread messages
  again from it, so reading on one device clears the badge on the others;
- tells where the "new messages" line goes (:func:`~chatroom.client.model.first_new`) when the user
  comes to a buffer.

Without the capability nothing is sent and unread counts stay local.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chatroom.client.model import CHAT_KINDS, Buffer, BufferKind, is_new
from chatroom.client.state import ClientState
from chatroom.protocol import Line

CAP = "draft/read-marker"


def _format(when: datetime) -> str:
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _parse(value: str) -> datetime | None:
    kind, _, text = value.partition("=")
    if kind != "timestamp" or text == "*":
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def recount(client: ClientState, buffer: Buffer) -> None:
    """Count *buffer*'s unread messages (and mention) again from its read marker."""
    marker = buffer.read_marker
    if marker is None:
        return
    new = [m for m in buffer.messages if is_new(m, marker)]
    if buffer.key == client.model.active:
        new = []
    unread, mentioned = len(new), any(m.mention for m in new)
    if (unread, mentioned) != (buffer.unread, buffer.mentioned):
        buffer.unread, buffer.mentioned = unread, mentioned
        client.changed(buffer)


def markread(client: ClientState, line: Line) -> None:
    """MARKREAD <target> timestamp=<time | *>: the server's marker for a conversation."""
    buffer = client.model.find(line.params[0])
    when = _parse(line.params[1])
    if buffer is None or when is None:
        return
    if buffer.read_marker is None or when > buffer.read_marker:
        buffer.read_marker = when
        recount(client, buffer)


def mark_read(client: ClientState, buffer: Buffer | None = None) -> bool:
    """The user has read *buffer* (default: the active one) up to its newest message:
    clear its unread count and, with the capability, send the server ``MARKREAD``
    so the account's other devices clear theirs. Returns whether a MARKREAD went."""
    buffer = buffer or client.model.active_buffer
    if buffer.unread or buffer.mentioned:
        buffer.unread, buffer.mentioned = 0, False
        client.changed(buffer)
    if buffer.kind is BufferKind.SERVER or CAP not in client.caps:
        return False
    newest = next((m for m in reversed(buffer.messages) if m.kind in CHAT_KINDS), None)
    if newest is None:
        return False
    stamp = _format(newest.time)
    when = _parse(f"timestamp={stamp}")
    if when is None or (buffer.read_marker is not None and when <= buffer.read_marker):
        return False
    buffer.read_marker = when
    return client.send(Line("MARKREAD", (buffer.name, f"timestamp={stamp}")))
