"""Rooms and the people in them: JOIN, PART, QUIT, NICK, KICK, TOPIC, NAMES
and MODE, each read into the model and shown as a sentence ("bob has joined
#lobby. Say hi!")."""

from __future__ import annotations

from dataclasses import replace

from chatroom.client.buffers import open_buffer
from chatroom.client.chathistory import fetch_recent
from chatroom.client.events import BufferRenamed, OwnNickChanged
from chatroom.client.lines import is_me, line_message, nick_of, with_reason
from chatroom.client.members import request_whox
from chatroom.client.model import Buffer, BufferKind, Member, MessageKind
from chatroom.client.monitor import unwatch, watch
from chatroom.client.state import ClientState
from chatroom.protocol import Line, casefold
from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import is_channel_name


def join(client: ClientState, line: Line) -> None:
    """:<nick> JOIN <channel>"""
    nick = nick_of(line.source)
    buffer = open_buffer(client, line.params[0], BufferKind.CHANNEL)
    if is_me(client, nick):
        buffer.name = line.params[0]  # the server's spelling
        buffer.joined = True
        buffer.members.clear()
        client.names_pending[buffer.key] = {}
        if client.take_switch_on_join(buffer.name):
            client.activate(buffer)
        message = line_message(line, MessageKind.JOIN, f"You have joined {buffer.name}")
        client.add(buffer, message)
        client.changed(buffer)
        request_whox(client, buffer)
        fetch_recent(client, buffer)
        return
    # extended-join: <channel> <account or *> :<realname>
    account = line.params[1] if len(line.params) > 2 and line.params[1] != "*" else None
    buffer.members[casefold(nick)] = Member(nick, account=account)
    text = f"{nick} has joined {buffer.name}. Say hi!"
    client.add(buffer, line_message(line, MessageKind.JOIN, text, nick))
    client.changed(buffer)


def part(client: ClientState, line: Line) -> None:
    """:<nick> PART <channel> [<reason>]"""
    buffer = client.model.get(line.params[0])
    if buffer is None:
        return
    nick = nick_of(line.source)
    reason = line.params[1] if len(line.params) > 1 else ""
    if _take_out(client, buffer, nick):
        text = with_reason(f"You have left {buffer.name}", reason)
    else:
        text = with_reason(f"{nick} has left {buffer.name}", reason)
    client.add(buffer, line_message(line, MessageKind.PART, text, nick))
    client.changed(buffer)
    if client.typing_in.stopped(buffer.name, nick):
        client.typing_changed(buffer.name)


def _take_out(client: ClientState, buffer: Buffer, nick: str) -> bool:
    """Remove ``nick`` from a room's members (PART, KICK); True if it was us, who are
    then no longer in the room at all."""
    if is_me(client, nick):
        buffer.joined = False
        buffer.members.clear()
        return True
    buffer.members.pop(casefold(nick), None)
    return False


def quit_(client: ClientState, line: Line) -> None:
    """:<nick> QUIT [<reason>]"""
    nick = nick_of(line.source)
    reason = line.params[0] if line.params else ""
    text = with_reason(f"{nick} has left the chat", reason)
    for buffer in client.model.buffers_with(nick):
        buffer.members.pop(casefold(nick), None)
        client.add(buffer, line_message(line, MessageKind.QUIT, text, nick))
        client.changed(buffer)
    for name in client.typing_in.stopped_everywhere(nick):
        client.typing_changed(name)


def nick(client: ClientState, line: Line) -> None:
    """:<old> NICK <new>"""
    old, new = nick_of(line.source), line.params[0]
    buffers = client.model.buffers_with(old)
    if is_me(client, old):
        client.nick = new
        client.wanted_nick = new
        if client.source is not None:
            client.source = new + client.source[len(old) :]
        client.emit(OwnNickChanged(new))
        text = f"You are now known as {new}"
        buffers = [b for b in client.model.buffers if b.kind is BufferKind.CHANNEL and b.joined]
        buffers = buffers or [client.model.active_buffer]
    else:
        text = f"{old} is now known as {new}"
    for buffer in buffers:
        member = buffer.members.pop(casefold(old), None)
        if member is not None:
            buffer.members[casefold(new)] = replace(member, nick=new)
        if buffer.kind is BufferKind.PRIVATE and client.model.rename(old, new) is buffer:
            client.emit(BufferRenamed(old, new))
            unwatch(client, old)  # MONITOR follows the person to the new nick
            watch(client, [new])
        client.add(buffer, line_message(line, MessageKind.NICK, text, old))
        client.changed(buffer)


def kick(client: ClientState, line: Line) -> None:
    """:<op> KICK <channel> <nick> [<reason>]"""
    buffer = client.model.get(line.params[0])
    if buffer is None:
        return
    by, target = nick_of(line.source), line.params[1]
    reason = line.params[2] if len(line.params) > 2 else ""
    if _take_out(client, buffer, target):
        text = with_reason(f"You were kicked from {buffer.name} by {by}", reason)
    else:
        text = with_reason(f"{by} has kicked {target} from {buffer.name}", reason)
    client.add(buffer, line_message(line, MessageKind.KICK, text, by))
    client.changed(buffer)


def topic(client: ClientState, line: Line) -> None:
    """:<nick> TOPIC <channel> <topic>"""
    buffer = open_buffer(client, line.params[0], BufferKind.CHANNEL)
    who = nick_of(line.source)
    buffer.topic = line.params[1]
    text = f"{who} set the topic: {buffer.topic}" if buffer.topic else f"{who} cleared the topic"
    client.add(buffer, line_message(line, MessageKind.TOPIC, text, who))
    client.changed(buffer)


def topic_reply(client: ClientState, line: Line) -> None:
    """332 <nick> <channel> :<topic> / 331 <nick> <channel> :No topic is set"""
    buffer = client.model.get(line.params[1])
    target = buffer or client.model.active_buffer
    if line.command == n.RPL_NOTOPIC:
        client.note(f"{line.params[1]} has no topic.", buffer=target)
        return
    if buffer is not None:
        buffer.topic = line.params[2]
        client.changed(buffer)
    client.add(
        target,
        line_message(line, MessageKind.TOPIC, f"Topic of {line.params[1]}: {line.params[2]}"),
    )


def names_reply(client: ClientState, line: Line) -> None:
    """353 <nick> <symbol> <channel> :[prefix]<nick>{ [prefix]<nick>}"""
    symbols = client.model.prefix_order
    pending = client.names_pending.setdefault(casefold(line.params[2]), {})
    for entry in line.params[3].split():
        stripped = entry.lstrip(symbols)
        prefixes = entry[: len(entry) - len(stripped)]
        member_nick = nick_of(stripped)  # userhost-in-names gives nick!user@host
        if member_nick:
            pending[casefold(member_nick)] = (member_nick, prefixes)


def end_of_names(client: ClientState, line: Line) -> None:
    """366 <nick> <channel> :End of /NAMES list"""
    name = line.params[1]
    pending = client.names_pending.pop(casefold(name), {})
    buffer = client.model.get(name)
    target = buffer if buffer is not None else client.model.active_buffer
    if buffer is not None and buffer.joined:
        known = buffer.members  # what WHOX and notifications told of each stays
        buffer.members = {
            key: replace(known[key], nick=nick, prefixes=pre) if key in known else Member(nick, pre)
            for key, (nick, pre) in pending.items()
        }
        client.changed(buffer)
        members = [m.label for m in buffer.sorted_members(client.model.prefix_order)]
    else:
        members = [pre[:1] + nick for nick, pre in pending.values()]
    count = len(members)
    people = "person" if count == 1 else "people"
    text = f"{count} {people} in {name}: {', '.join(members)}" if members else f"Nobody in {name}"
    client.add(target, line_message(line, MessageKind.INFO, text))
    client.room_answered(name)


def mode(client: ClientState, line: Line) -> None:
    """:<nick> MODE <target> <modestring> [<args>...]"""
    if not is_channel_name(line.params[0]):
        return
    buffer = client.model.get(line.params[0])
    if buffer is None:
        return
    who = nick_of(line.source)
    _apply_member_modes(client, buffer.members, line.params[1], list(line.params[2:]))
    changes = " ".join(line.params[1:])
    client.add(buffer, line_message(line, MessageKind.MODE, f"{who} sets mode {changes}", who))
    client.changed(buffer)


def _apply_member_modes(
    client: ClientState, members: dict[str, Member], modes: str, args: list[str]
) -> None:
    """Update member prefixes for status modes (+o/+v); consume arguments of the
    other modes per CHANMODES so the arguments stay aligned."""
    prefix = client.isupport.get("PREFIX", "(ov)@+")
    letters, _, symbols = prefix[1:].partition(")")
    groups = ([*client.isupport.get("CHANMODES", "beI,k,l,imnpst").split(","), "", "", ""])[:4]
    adding = True
    for letter in modes:
        if letter in "+-":
            adding = letter == "+"
            continue
        takes_arg = letter in letters or letter in groups[0] or letter in groups[1]
        takes_arg = takes_arg or (adding and letter in groups[2])
        arg = args.pop(0) if takes_arg and args else None
        if letter in letters and arg is not None:
            member = members.get(casefold(arg))
            if member is None:
                continue
            symbol = symbols[letters.index(letter)]
            current = member.prefixes.replace(symbol, "")
            if adding:
                current += symbol
            ordered = "".join(s for s in symbols if s in current)
            members[casefold(arg)] = replace(member, prefixes=ordered)
