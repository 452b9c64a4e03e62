"""Opening buffers: a private chat opened here asks the server for its recent
history, so it is not empty when the person writes again."""

from __future__ import annotations

from chatroom.client.chathistory import fetch_recent
from chatroom.client.model import Buffer, BufferKind, MessageKind
from chatroom.client.monitor import watch
from chatroom.client.state import ClientState
from chatroom.protocol import is_valid_nick


def open_buffer(client: ClientState, name: str, kind: BufferKind | None = None) -> Buffer:
    """The buffer called ``name``, opened (and announced) if needed. A private
    chat opened here asks the server for its recent history."""
    buffer, created = client.model.open(name, kind)
    if created:
        client.changed(buffer)
        if buffer.kind is BufferKind.PRIVATE:
            fetch_recent(client, buffer)
            watch(client, [buffer.name])
    return buffer


def open_private(client: ClientState, nick: str) -> bool:
    """Open (or show) the private chat with ``nick`` without sending anything,
    and make it the active buffer. Returns False, with an error note, if
    ``nick`` cannot be a nick (or is a room's name)."""
    if not is_valid_nick(nick, client.nicklen):
        client.note(nick_problem(nick, client.nicklen), MessageKind.ERROR)
        return False
    existing = client.model.get(nick)
    if existing is not None and existing.kind is not BufferKind.PRIVATE:
        return False
    client.activate(open_buffer(client, nick, BufferKind.PRIVATE))
    return True


def nick_problem(nick: str, nicklen: int) -> str:
    """Why ``nick`` cannot be used, as a sentence for the user."""
    if not nick:
        return "Please type a name."
    if len(nick) > nicklen:
        return f"That name is too long: at most {nicklen} characters."
    if " " in nick:
        return "A name cannot contain spaces; try " + nick.replace(" ", "_") + "."
    return (
        f"{nick} cannot be used as a name: use letters, digits and - _ [ ] {{ }} ^ ` | \\ "
        "only, and do not start with a digit or -."
    )
