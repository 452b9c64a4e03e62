"""What the client does with each line from the server: a table from command
(or numeric) to handler, as on the server side.

Handlers share one signature, ``(client, line) -> None``, start with the syntax
they read, and change the model only through the client's helpers
(:meth:`ChatClient.add`, :meth:`ChatClient.changed`, ...) so observers hear of
every change. They trust nothing: a line with too few parameters is ignored.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from chatroom.client import accounts, chathistory, messaging  # noqa: F401  (they register handlers)
from chatroom.client.dispatch import HANDLERS, REPLY_HANDLERS, is_me, line_message, nick_of, on
from chatroom.client.events import BufferRenamed, NickTaken, OwnNickChanged
from chatroom.client.model import Buffer, BufferKind, Member, Message, MessageKind
from chatroom.protocol import Line, casefold
from chatroom.protocol import numerics as n
from chatroom.protocol.casemap import is_channel_name

if TYPE_CHECKING:
    from chatroom.client.core import ChatClient

log = logging.getLogger(__name__)

# Numerics that end a join attempt with a refusal (Modern IRC "JOIN").
JOIN_ERRORS = frozenset(
    {
        n.ERR_NOSUCHCHANNEL,
        n.ERR_TOOMANYCHANNELS,
        n.ERR_CHANNELISFULL,
        n.ERR_INVITEONLYCHAN,
        n.ERR_BANNEDFROMCHAN,
        n.ERR_BADCHANNELKEY,
        n.ERR_BADCHANMASK,
    }
)
# The welcome burst: nobody wants to read it in a chat, so it is kept aside.
QUIET_NUMERICS = frozenset(
    {
        n.RPL_YOURHOST,
        n.RPL_CREATED,
        n.RPL_MYINFO,
        n.RPL_LUSERCLIENT,
        n.RPL_LUSEROP,
        n.RPL_LUSERUNKNOWN,
        n.RPL_LUSERCHANNELS,
        n.RPL_LUSERME,
        n.RPL_LOCALUSERS,
        n.RPL_GLOBALUSERS,
        n.RPL_TOPICWHOTIME,
        n.RPL_CREATIONTIME,
    }
)


def handle(client: ChatClient, line: Line) -> None:
    """Apply one line from the server to the client. Lines inside a history
    batch are held until the batch ends (see :mod:`chatroom.client.chathistory`)."""
    if chathistory.collect(client, line):
        return
    handler = HANDLERS.get(line.command)
    if handler is not None:
        handler(client, line)
    elif line.command.isdigit():
        _other_numeric(client, line)


def _message(
    client: ChatClient,
    line: Line,
    kind: MessageKind,
    text: str,
    sender: str | None = None,
) -> Message:
    return line_message(line, kind, text, sender)


def _with_reason(text: str, reason: str) -> str:
    return f"{text} ({reason})" if reason else text


# -- registration and keep-alive ---------------------------------------------------


@on("PING")
def ping(client: ChatClient, line: Line) -> None:
    """PING <token>"""
    client.send(Line("PONG", line.params[-1:] or ("chatroom",)))


@on("PONG", "SETNAME", "CHGHOST", "ACK", "ACCOUNT")
def ignore(client: ChatClient, line: Line) -> None:
    """Lines that need no action (any line from the server counts as a sign of life)."""


@on("ERROR")
def error(client: ChatClient, line: Line) -> None:
    """ERROR <reason>: the server is about to close the connection."""
    if line.params:
        client.server_error = line.params[-1]


@on("CAP")
def cap(client: ChatClient, line: Line) -> None:
    """CAP <nick> (LS|ACK|NAK|NEW|DEL) [*] <caps> (IRCv3 capability negotiation)"""
    if len(line.params) < 3:
        return
    sub = line.params[1].upper()
    more = len(line.params) > 3 and line.params[2] == "*"
    names = [item.partition("=")[0] for item in line.params[-1].split()]
    if sub == "LS":
        client.cap_ls.extend(names)
        for item in line.params[-1].split():
            name, _, value = item.partition("=")
            client.cap_values[name] = value
        if more:
            return
        wanted = [c for c in client.config.caps if c in client.cap_ls]
        if accounts.wants_sasl(client):
            wanted.append("sasl")
        if wanted and not client.registered:
            client.send(Line("CAP", ("REQ", " ".join(wanted))))
        elif not client.registered:
            client.send(Line("CAP", ("END",)))
    elif sub == "ACK":
        for name in names:
            if name.startswith("-"):
                client.caps.discard(name[1:])
            else:
                client.caps.add(name)
        if client.registered:
            return
        # With a password, registration waits for the login (sasl-3.1).
        password = client.account_password
        start_sasl = "sasl" in names and password and client.sasl is None
        if start_sasl and password and accounts.start(client, password):
            return
        client.send(Line("CAP", ("END",)))
    elif sub == "NAK":
        if not client.registered:
            client.send(Line("CAP", ("END",)))
    elif sub == "NEW":
        wanted = [c for c in names if c in client.config.caps and c not in client.caps]
        if wanted:
            client.send(Line("CAP", ("REQ", " ".join(wanted))))
    elif sub == "DEL":
        client.caps.difference_update(names)


@on(n.RPL_WELCOME)
def welcome(client: ChatClient, line: Line) -> None:
    """001 <nick> :Welcome to the Network, <nick>!<user>@<host>"""
    if not line.params:
        return
    client.nick = line.params[0]
    client.registered = True
    last = line.params[-1].split()[-1] if line.params[-1].split() else ""
    if "!" in last and "@" in last and nick_of(last) == client.nick:
        client.source = last


@on(n.RPL_ISUPPORT)
def isupport(client: ChatClient, line: Line) -> None:
    """005 <nick> <token>{ <token>} :are supported by this server"""
    for token in line.params[1:-1]:
        key, _, value = token.partition("=")
        if key.startswith("-"):
            client.isupport.pop(key[1:], None)
        else:
            client.isupport[key] = value
    prefix = client.isupport.get("PREFIX", "")
    if prefix.startswith("(") and ")" in prefix:
        client.model.prefix_order = prefix.split(")", 1)[1]


@on(n.RPL_MOTDSTART, n.RPL_MOTD)
def motd(client: ChatClient, line: Line) -> None:
    """375/372 <nick> :<text>"""
    if line.command == n.RPL_MOTDSTART:
        client.motd.clear()
    elif line.params:
        client.motd.append(line.params[-1])


@on(n.RPL_ENDOFMOTD, n.ERR_NOMOTD)
def end_of_welcome(client: ChatClient, line: Line) -> None:
    """376/422: the welcome burst is over; the client joins its rooms."""
    if client.nick is not None and client.registered:
        client.on_registered()


@on(n.ERR_NICKNAMEINUSE, n.ERR_ERRONEUSNICKNAME)
def nick_refused(client: ChatClient, line: Line) -> None:
    """433/432 <nick> <wanted> :Nickname is already in use / Erroneous nickname"""
    wanted = line.params[1] if len(line.params) > 2 else (client.nick or "")
    if client.registered:
        client.note(f"{wanted}: {line.params[-1]}", MessageKind.ERROR)
        return
    if line.command == n.ERR_NICKNAMEINUSE:
        trying = client.alternative_nick()
        if trying is not None:
            client.emit(NickTaken(wanted, trying))
            client.nick = trying
            client.send(Line("NICK", (trying,)))
            return
        client.ask_nick(f"The name {wanted} is taken.")
    else:
        client.ask_nick(f"The server refused the name {wanted}: {line.params[-1]}")


# -- channels ---------------------------------------------------------------------


@on("JOIN")
def join(client: ChatClient, line: Line) -> None:
    """:<nick> JOIN <channel>"""
    if not line.params:
        return
    nick = nick_of(line.source)
    buffer = client.open_buffer(line.params[0], BufferKind.CHANNEL)
    if is_me(client, nick):
        buffer.name = line.params[0]  # the server's spelling
        buffer.joined = True
        buffer.members.clear()
        client.names_pending[buffer.key] = {}
        if client.take_switch_on_join(buffer.name):
            client.activate(buffer)
        message = _message(client, line, MessageKind.JOIN, f"You have joined {buffer.name}")
        client.add(buffer, message)
        client.changed(buffer)
        chathistory.fetch_recent(client, buffer)
        return
    buffer.members[casefold(nick)] = Member(nick)
    text = f"{nick} has joined {buffer.name}. Say hi!"
    client.add(buffer, _message(client, line, MessageKind.JOIN, text, nick))
    client.changed(buffer)


@on("PART")
def part(client: ChatClient, line: Line) -> None:
    """:<nick> PART <channel> [<reason>]"""
    if not line.params:
        return
    buffer = client.model.get(line.params[0])
    if buffer is None:
        return
    nick = nick_of(line.source)
    reason = line.params[1] if len(line.params) > 1 else ""
    if _take_out(client, buffer, nick):
        text = _with_reason(f"You have left {buffer.name}", reason)
    else:
        text = _with_reason(f"{nick} has left {buffer.name}", reason)
    client.add(buffer, _message(client, line, MessageKind.PART, text, nick))
    client.changed(buffer)


def _take_out(client: ChatClient, buffer: Buffer, nick: str) -> bool:
    """Remove ``nick`` from a room's members (PART, KICK); True if it was us, who are
    then no longer in the room at all."""
    if is_me(client, nick):
        buffer.joined = False
        buffer.members.clear()
        return True
    buffer.members.pop(casefold(nick), None)
    return False


@on("QUIT")
def quit_(client: ChatClient, line: Line) -> None:
    """:<nick> QUIT [<reason>]"""
    nick = nick_of(line.source)
    reason = line.params[0] if line.params else ""
    text = _with_reason(f"{nick} has left the chat", reason)
    for buffer in client.model.buffers_with(nick):
        buffer.members.pop(casefold(nick), None)
        client.add(buffer, _message(client, line, MessageKind.QUIT, text, nick))
        client.changed(buffer)


@on("NICK")
def nick(client: ChatClient, line: Line) -> None:
    """:<old> NICK <new>"""
    if not line.params:
        return
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
            buffer.members[casefold(new)] = Member(new, member.prefixes)
        if buffer.kind is BufferKind.PRIVATE and client.model.rename(old, new) is buffer:
            client.emit(BufferRenamed(old, new))
        client.add(buffer, _message(client, line, MessageKind.NICK, text, old))
        client.changed(buffer)


@on("KICK")
def kick(client: ChatClient, line: Line) -> None:
    """:<op> KICK <channel> <nick> [<reason>]"""
    if len(line.params) < 2:
        return
    buffer = client.model.get(line.params[0])
    if buffer is None:
        return
    by, target = nick_of(line.source), line.params[1]
    reason = line.params[2] if len(line.params) > 2 else ""
    if _take_out(client, buffer, target):
        text = _with_reason(f"You were kicked from {buffer.name} by {by}", reason)
    else:
        text = _with_reason(f"{by} has kicked {target} from {buffer.name}", reason)
    client.add(buffer, _message(client, line, MessageKind.KICK, text, by))
    client.changed(buffer)


@on("TOPIC")
def topic(client: ChatClient, line: Line) -> None:
    """:<nick> TOPIC <channel> <topic>"""
    if len(line.params) < 2:
        return
    buffer = client.open_buffer(line.params[0], BufferKind.CHANNEL)
    who = nick_of(line.source)
    buffer.topic = line.params[1]
    text = f"{who} set the topic: {buffer.topic}" if buffer.topic else f"{who} cleared the topic"
    client.add(buffer, _message(client, line, MessageKind.TOPIC, text, who))
    client.changed(buffer)


@on(n.RPL_TOPIC, n.RPL_NOTOPIC)
def topic_reply(client: ChatClient, line: Line) -> None:
    """332 <nick> <channel> :<topic> / 331 <nick> <channel> :No topic is set"""
    if len(line.params) < 3:
        return
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
        _message(client, line, MessageKind.TOPIC, f"Topic of {line.params[1]}: {line.params[2]}"),
    )


@on(n.RPL_NAMREPLY)
def names_reply(client: ChatClient, line: Line) -> None:
    """353 <nick> <symbol> <channel> :[prefix]<nick>{ [prefix]<nick>}"""
    if len(line.params) < 4:
        return
    symbols = client.model.prefix_order
    pending = client.names_pending.setdefault(casefold(line.params[2]), {})
    for entry in line.params[3].split():
        stripped = entry.lstrip(symbols)
        prefixes = entry[: len(entry) - len(stripped)]
        member_nick = nick_of(stripped)  # userhost-in-names gives nick!user@host
        if member_nick:
            pending[casefold(member_nick)] = (member_nick, prefixes)


@on(n.RPL_ENDOFNAMES)
def end_of_names(client: ChatClient, line: Line) -> None:
    """366 <nick> <channel> :End of /NAMES list"""
    if len(line.params) < 2:
        return
    name = line.params[1]
    pending = client.names_pending.pop(casefold(name), {})
    buffer = client.model.get(name)
    target = buffer if buffer is not None else client.model.active_buffer
    if buffer is not None and buffer.joined:
        buffer.members = {key: Member(nick, pre) for key, (nick, pre) in pending.items()}
        client.changed(buffer)
        members = [m.display for m in buffer.sorted_members(client.model.prefix_order)]
    else:
        members = [pre[:1] + nick for nick, pre in pending.values()]
    count = len(members)
    people = "person" if count == 1 else "people"
    text = f"{count} {people} in {name}: {', '.join(members)}" if members else f"Nobody in {name}"
    client.add(target, _message(client, line, MessageKind.INFO, text))
    client.room_answered(name)


@on("MODE")
def mode(client: ChatClient, line: Line) -> None:
    """:<nick> MODE <target> <modestring> [<args>...]"""
    if len(line.params) < 2 or not is_channel_name(line.params[0]):
        return
    buffer = client.model.get(line.params[0])
    if buffer is None:
        return
    who = nick_of(line.source)
    _apply_member_modes(client, buffer.members, line.params[1], list(line.params[2:]))
    changes = " ".join(line.params[1:])
    client.add(buffer, _message(client, line, MessageKind.MODE, f"{who} sets mode {changes}", who))
    client.changed(buffer)


def _apply_member_modes(
    client: ChatClient, members: dict[str, Member], modes: str, args: list[str]
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
            members[casefold(arg)] = Member(member.nick, ordered)


# -- replies that are shown to the user -------------------------------------------


@on(n.RPL_AWAY)
def away_reply(client: ChatClient, line: Line) -> None:
    """301 <nick> <nick> :<away message>"""
    if len(line.params) >= 3:
        buffer = client.model.get(line.params[1])
        client.note(f"{line.params[1]} is away: {line.params[2]}", buffer=buffer)


@on(n.RPL_LISTSTART)
def list_start(client: ChatClient, line: Line) -> None:
    """321 <nick> Channel :Users  Name"""
    client.list_pending.clear()


@on(n.RPL_LIST)
def list_entry(client: ChatClient, line: Line) -> None:
    """322 <nick> <channel> <count> :<topic>"""
    if len(line.params) >= 4:
        client.list_pending.append((line.params[1], line.params[2], line.params[3]))


@on(n.RPL_LISTEND)
def list_end(client: ChatClient, line: Line) -> None:
    """323 <nick> :End of /LIST"""
    rooms = sorted(client.list_pending, key=lambda room: casefold(room[0]))
    client.list_pending.clear()
    if not rooms:
        client.note("There are no rooms yet; make one with /join #name.")
        return
    client.note(f"Rooms ({len(rooms)}):")
    for name, count, room_topic in rooms:
        people = "person" if count == "1" else "people"
        client.note(f"  {name} ({count} {people})" + (f": {room_topic}" if room_topic else ""))


@on("FAIL", "WARN", "NOTE")
def standard_reply(client: ChatClient, line: Line) -> None:
    """FAIL|WARN|NOTE <command> <code> [<context>...] <description> (standard-replies)"""
    special = REPLY_HANDLERS.get(line.params[0].upper()) if line.params else None
    if special is not None:
        special(client, line)
    elif line.params:
        kind = MessageKind.ERROR if line.command == "FAIL" else MessageKind.INFO
        client.note(line.params[-1], kind)


@on("INVITE")
def invite(client: ChatClient, line: Line) -> None:
    """:<nick> INVITE <you> <channel>"""
    if len(line.params) >= 2:
        who = nick_of(line.source)
        client.note(f"{who} invites you to {line.params[1]}: type /join {line.params[1]}")


@on("AWAY")
def away_notify(client: ChatClient, line: Line) -> None:
    """:<nick> AWAY [<message>] (away-notify): kept quiet; a chat would drown in it."""


def _other_numeric(client: ChatClient, line: Line) -> None:
    """Numerics without their own handler: errors go to the active buffer, quiet
    ones are dropped, the rest are shown in the server buffer."""
    command = line.command
    if command in QUIET_NUMERICS or not line.params:
        return
    params = line.params[1:]
    if command in JOIN_ERRORS and params:
        client.room_answered(params[0])
        client.take_switch_on_join(params[0])
    if not params:
        return
    context = " ".join(params[:-1])
    text = f"{context}: {params[-1]}" if context else params[-1]
    if "400" <= command < "600":
        client.note(text, MessageKind.ERROR)
    else:
        client.note(text, buffer=client.model.server)
