"""PRIVMSG, NOTICE and TAGMSG as they arrive: which buffer a line belongs to,
answers to the harmless CTCP queries, and who is typing. History batches read the same lines with
:func:`~chatroom.client.lines.chat_message` (:mod:`~chatroom.client.chathistory`).
"""

from __future__ import annotations

from chatroom.client import reactions
from chatroom.client.buffers import open_buffer
from chatroom.client.lines import chat_message, is_me, nick_of
from chatroom.client.model import BufferKind
from chatroom.client.reactions import REPLY_TAG
from chatroom.client.state import ClientState
from chatroom.protocol import Line
from chatroom.protocol.casemap import is_channel_name


def _version() -> str:
    """Our version, as CTCP VERSION tells it (read from the installed package)."""
    # Imported here: importlib.metadata costs 10 ms of the client's start, for a reply
    # rarely asked for.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chatroom")
    except PackageNotFoundError:
        return "unknown"


def privmsg(client: ClientState, line: Line) -> None:
    """:<nick> PRIVMSG <target> <text> (and NOTICE; CTCP ACTION is /me)"""
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
        buffer = open_buffer(client, bare, BufferKind.CHANNEL)
    elif notice and client.model.get(target if own else sender) is None:
        buffer = client.model.active_buffer  # a notice does not open a private chat
    else:
        buffer = open_buffer(client, target if own else sender, BufferKind.PRIVATE)
    if own and not notice:
        client.echo_received()
    if not own and client.typing_in.stopped(buffer.name, sender):
        client.typing_changed(buffer.name)  # their message ends their typing
    message = chat_message(client, line, private=buffer.kind is BufferKind.PRIVATE)
    if message is not None:
        client.add(buffer, message)


def tagmsg(client: ClientState, line: Line) -> None:
    """@+typing=<state> :<nick> TAGMSG <target> (https://ircv3.net/specs/client-tags/typing);
    and reactions (:mod:`~chatroom.client.reactions`). Typing counts only in a buffer
    already open: a notification never opens a private chat."""
    if REPLY_TAG in line.tags:
        reactions.received(client, line)
    state = line.tags.get("+typing")
    sender = nick_of(line.source)
    if state is None or not sender or "!" not in (line.source or "") or is_me(client, sender):
        return
    target = line.params[0].lstrip(client.isupport.get("STATUSMSG", "@+"))
    name = target if is_channel_name(target) else sender
    if client.model.get(name) is None:
        return
    if client.typing_in.received(name, sender, state, client.clock):
        client.typing_changed(name)


def _ctcp(client: ClientState, line: Line, sender: str, ctcp: str, rest: str) -> None:
    """Answer the harmless CTCP queries (VERSION, PING) and ignore the rest."""
    if line.command != "PRIVMSG" or not sender:
        return
    if ctcp == "VERSION":
        reply = f"\x01VERSION chatroom {_version()}\x01"
    elif ctcp == "PING":
        reply = f"\x01PING {rest}\x01"
    else:
        return
    client.send(Line("NOTICE", (sender, reply)))
