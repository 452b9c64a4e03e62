"""Carrying out what the user asked for: actions from
:mod:`chatroom.client.commands` become IRC lines and model changes.

Problems (not connected, not in a room, a bad name) are shown to the user as
error lines in the active buffer; nothing here raises.
"""

from __future__ import annotations

from chatroom.client import multiline
from chatroom.client.accounts import perform as perform_account
from chatroom.client.buffers import nick_problem, open_buffer, open_private
from chatroom.client.chathistory import fetch_older
from chatroom.client.commands import (
    Action,
    Away,
    ChangeNick,
    Close,
    Delete,
    FetchOlder,
    Help,
    Join,
    ListRooms,
    Login,
    Names,
    OpenPrivate,
    Part,
    Problem,
    Quit,
    Raw,
    React,
    Register,
    ReplyTo,
    SearchHistory,
    SendAction,
    SendMessage,
    Switch,
    Topic,
    Upload,
    help_lines,
)
from chatroom.client.events import BufferClosed
from chatroom.client.model import Buffer, BufferKind, Message, MessageKind, now_utc
from chatroom.client.monitor import unwatch
from chatroom.client.reactions import REPLY_TAG, find_message, toggle_line
from chatroom.client.redaction import delete
from chatroom.client.search import start as start_search
from chatroom.client.state import ClientState
from chatroom.client.textsplit import split_text, utf8_len
from chatroom.client.upload import plan as plan_upload
from chatroom.errors import ChatroomError
from chatroom.protocol import Line, is_valid_nick, parse


def perform(client: ClientState, action: Action) -> None:
    """Carry out an action. Problems (not connected, not in a room) are shown
    to the user as error lines in the active buffer; nothing raises."""
    if isinstance(action, Quit):
        client.quit(action.reason or None)
    elif isinstance(action, Problem):
        client.note(action.text, MessageKind.ERROR)
    elif isinstance(action, Help):
        for text in help_lines(action.command):
            client.note(text)
    elif isinstance(action, Switch):
        if not client.switch_to(action.target):
            client.note(f"No room or chat called {action.target}.", MessageKind.ERROR)
    elif isinstance(action, Close):
        _close(client, action.target)
    elif isinstance(action, FetchOlder):
        _fetch_older(client, action.limit)
    elif not client.registered:
        client.note("Not connected to the server: not sent.", MessageKind.ERROR)
    elif isinstance(action, SendMessage | SendAction):
        _say(client, action)
    elif isinstance(action, SearchHistory):
        start_search(client, action.text, room=action.room, quiet=action.quiet)
    elif isinstance(action, ReplyTo | React):
        _respond(client, action)
    elif isinstance(action, Delete):
        delete(client, action.chosen)
    elif isinstance(action, Upload):
        plan_upload(client, action.path)
    else:
        _command(client, action)


def _command(client: ClientState, action: Action) -> None:
    if isinstance(action, Join):
        client.switch_on_join(action.channel)
        existing = client.model.get(action.channel)
        if existing is not None and existing.joined:
            client.take_switch_on_join(action.channel)
            client.activate(existing)
            return
        params = (action.channel, action.key) if action.key else (action.channel,)
        client.send(Line("JOIN", params))
    elif isinstance(action, Part):
        channel = _room(client, action.channel)
        if channel is not None:
            params = (channel, action.reason) if action.reason else (channel,)
            client.send(Line("PART", params))
    elif isinstance(action, ChangeNick):
        if is_valid_nick(action.nick, client.nicklen):
            client.send(Line("NICK", (action.nick,)))
        else:
            client.note(nick_problem(action.nick, client.nicklen), MessageKind.ERROR)
    elif isinstance(action, Topic):
        channel = _room(client, action.channel)
        if channel is not None:
            text = () if action.text is None else (action.text,)
            client.send(Line("TOPIC", (channel, *text)))
    elif isinstance(action, Names):
        channel = _room(client, action.channel)
        if channel is not None:
            client.send(Line("NAMES", (channel,)))
    elif isinstance(action, ListRooms):
        client.send(Line("LIST"))
    elif isinstance(action, Away):
        client.send(Line("AWAY", () if action.message is None else (action.message,)))
    elif isinstance(action, OpenPrivate):
        open_private(client, action.nick)
    elif isinstance(action, Register | Login):
        perform_account(client, action)
    elif isinstance(action, Raw):
        try:
            client.send(parse(action.line))
        except ChatroomError as exc:
            client.note(f"Cannot send that line: {exc}", MessageKind.ERROR)


def _room(client: ClientState, name: str | None) -> str | None:
    """The room a command is about: ``name``, or the active buffer if it is a room."""
    if name is not None:
        return name
    active = client.model.active_buffer
    if active.kind is BufferKind.CHANNEL:
        return active.name
    client.note("You are not in a room here; name one, e.g. #lobby.", MessageKind.ERROR)
    return None


def _close(client: ClientState, target: str | None) -> None:
    buffer = client.model.active_buffer if target is None else client.model.find(target)
    if buffer is None or buffer.kind is BufferKind.SERVER:
        client.note("That buffer cannot be closed.", MessageKind.ERROR)
        return
    if buffer.kind is BufferKind.CHANNEL and buffer.joined:
        client.send(Line("PART", (buffer.name,)))
    elif buffer.kind is BufferKind.PRIVATE:
        unwatch(client, buffer.name)
    was_active = buffer.key == client.model.active
    client.model.close(buffer.name)
    client.emit(BufferClosed(buffer.name))
    if was_active:
        client.activate(client.model.active_buffer)


def _fetch_older(client: ClientState, limit: int) -> None:
    buffer = client.model.active_buffer
    if buffer.kind is BufferKind.SERVER:
        client.note("Switch to a room or private chat to fetch its history.", MessageKind.ERROR)
    elif not client.registered:
        client.note("Not connected to the server: no history to fetch.", MessageKind.ERROR)
    elif not fetch_older(client, buffer, limit):
        client.note("This server keeps no history for you to fetch.", MessageKind.ERROR)


def _say(client: ClientState, action: SendMessage | SendAction) -> None:
    if action.target is None:
        buffer = client.model.active_buffer
        if buffer.kind is BufferKind.SERVER:
            client.note(
                "You are not in a room: join one with /join #room, or /switch to one.",
                MessageKind.ERROR,
            )
            return
        if not buffer.joined:
            client.note(f"You are not in {buffer.name}; /join it again.", MessageKind.ERROR)
            return
    else:
        buffer = open_buffer(client, action.target)
        if buffer.kind is BufferKind.PRIVATE:
            client.activate(buffer)
    action_text = isinstance(action, SendAction)
    reply_to = action.reply_to if isinstance(action, SendMessage) else None
    overhead = 9 if action_text else 0  # "\x01ACTION " ... "\x01"
    budget = client.text_budget(buffer.name) - overhead
    kind = MessageKind.ACTION if action_text else MessageKind.MESSAGE
    whole = action.text.replace("\r\n", "\n").replace("\r", "\n")
    tags = {REPLY_TAG: reply_to} if reply_to and "message-tags" in client.caps else {}
    if ("\n" in whole or utf8_len(whole) > budget) and not action_text:
        batch = multiline.batch_lines(client, buffer.name, whole, budget, tags)
        if batch is not None:  # one message however many or long lines (draft/multiline)
            for line in batch:
                client.send(line)
            _sent(client, buffer, kind, whole, reply_to)
            return
    for text_line in whole.split("\n"):  # without it: each line a message
        for piece in split_text(text_line, budget):
            text = f"\x01ACTION {piece}\x01" if action_text else piece
            client.send(Line("PRIVMSG", (buffer.name, text), tags=tags))
            _sent(client, buffer, kind, piece, reply_to)


def _sent(
    client: ClientState, buffer: Buffer, kind: MessageKind, text: str, reply_to: str | None
) -> None:
    """Show a message we sent: now, or when the server echoes it (echo-message)."""
    if "echo-message" in client.caps:
        client.expect_echo()
    else:
        own = Message(now_utc(), kind, client.nick, text, own=True, reply_to=reply_to)
        client.add(buffer, own)


def _respond(client: ClientState, action: ReplyTo | React) -> None:
    """/reply and /react: find the message meant in the active buffer, answer it."""
    buffer = client.model.active_buffer
    message = (
        find_message(buffer, action.chosen)
        if buffer.joined or buffer.kind is BufferKind.PRIVATE
        else None
    )
    if message is None or message.msgid is None:
        what = f"from {action.chosen} " if action.chosen else ""
        client.note(f"No message {what}here to answer.", MessageKind.ERROR)
    elif "message-tags" not in client.caps:
        client.note("This server does not relay replies and reactions.", MessageKind.ERROR)
    elif isinstance(action, ReplyTo):
        _say(client, SendMessage(None, action.text, reply_to=message.msgid))
    else:
        client.send(toggle_line(client, buffer, message.msgid, action.text))
