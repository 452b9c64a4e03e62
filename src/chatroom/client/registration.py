"""Registration and keep-alive: capability negotiation (IRCv3 ``CAP LS 302``),
the welcome burst, nick refusals, PING, and what happens once the server has
welcomed us (the start-up rooms are joined).

The phase changes go through :meth:`ClientState.advance`
(:data:`~chatroom.client.state.TRANSITIONS`); the handler table
(:mod:`~chatroom.client.handlers`) checks parameter counts before calling.
"""

from __future__ import annotations

from chatroom.client.accounts import start as begin_login
from chatroom.client.accounts import wants_sasl
from chatroom.client.chathistory import fetch_recent
from chatroom.client.events import NickRequired, NickTaken, Registered
from chatroom.client.lines import nick_of
from chatroom.client.model import BufferKind, MessageKind
from chatroom.client.monitor import watch_private_chats
from chatroom.client.state import ClientState, Phase, Trigger
from chatroom.protocol import Line, casefold
from chatroom.protocol import numerics as n


def start(client: ClientState) -> None:
    """A connection opened: begin registration (CAP LS 302, PASS, then NICK and
    USER, or ask the user for a nick first)."""
    client.advance(Trigger.CONNECT)
    client.send(Line("CAP", ("LS", "302")))
    if client.config.password:
        client.send(Line("PASS", (client.config.password,)))
    if client.nick is None:
        client.emit(NickRequired(None))
    else:
        send_nick(client)


def send_nick(client: ClientState) -> None:
    """Send our nick: NICK and USER the first time on a connection, NICK alone
    after a refusal."""
    assert client.nick is not None
    first = client.phase is Phase.NEED_NICK
    if not client.advance(Trigger.NICK_GIVEN):
        return
    client.send(Line("NICK", (client.nick,)))
    if first:
        username = client.config.username or client.nick
        realname = client.config.realname or client.nick
        client.send(Line("USER", (username, "0", "*", realname)))


def on_registered(client: ClientState) -> None:
    """The welcome burst is over (once per connection): tell observers, then join
    the rooms (or rejoin them)."""
    if client.nick is None or not client.advance(Trigger.BURST_END):
        return
    reconnected = client.ever_registered
    client.ever_registered = True
    client.emit(Registered(client.nick, reconnected))
    rooms = client.rooms_to_join if reconnected else client.config.rooms
    client.rooms_to_join = rooms
    client.pending_ready = {casefold(r) for r in rooms}
    if not reconnected:
        client.switch_on_join_keys.update(casefold(r) for r in rooms[:1])
    for room in rooms:
        client.send(Line("JOIN", (room,)))
    # Rooms fetch what was missed when they are joined; private chats now.
    for buffer in client.model.buffers:
        if buffer.kind is BufferKind.PRIVATE:
            fetch_recent(client, buffer)
    watch_private_chats(client)  # who of them is online (MONITOR)
    if not rooms:
        client.room_answered(None)


def ping(client: ClientState, line: Line) -> None:
    """PING <token>"""
    client.send(Line("PONG", line.params[-1:] or ("chatroom",)))


def ignore(client: ClientState, line: Line) -> None:
    """Lines that need no action (any line from the server counts as a sign of life)."""


def error(client: ClientState, line: Line) -> None:
    """ERROR <reason>: the server is about to close the connection."""
    if line.params:
        client.server_error = line.params[-1]


def cap(client: ClientState, line: Line) -> None:
    """CAP <nick> (LS|ACK|NAK|NEW|DEL) [*] <caps> (IRCv3 capability negotiation)"""
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
        if wants_sasl(client):
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
        if start_sasl and password and begin_login(client, password):
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


def welcome(client: ClientState, line: Line) -> None:
    """001 <nick> :Welcome to the Network, <nick>!<user>@<host>"""
    client.nick = line.params[0]
    client.advance(Trigger.WELCOME)
    last = line.params[-1].split()[-1] if line.params[-1].split() else ""
    if "!" in last and "@" in last and nick_of(last) == client.nick:
        client.source = last


def isupport(client: ClientState, line: Line) -> None:
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


def motd(client: ClientState, line: Line) -> None:
    """375/372 <nick> :<text>"""
    if line.command == n.RPL_MOTDSTART:
        client.motd.clear()
    elif line.params:
        client.motd.append(line.params[-1])


def end_of_welcome(client: ClientState, line: Line) -> None:
    """376/422: the welcome burst is over; the client joins its rooms."""
    if client.nick is not None and client.registered:
        on_registered(client)


def nick_refused(client: ClientState, line: Line) -> None:
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
