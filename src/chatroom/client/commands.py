"""What the user typed, turned into actions: ``/join #dev`` becomes ``Join("#dev")``.

:func:`parse_input` is pure (no I/O, no client state beyond the name of the
active buffer), so every UI parses alike and it is tested on its own.
:meth:`ChatClient.perform` carries actions out.

Rules: a line starting with ``/`` is a command; ``//text`` sends ``/text`` as
plain text; the tutorial's ``QUIT`` on its own leaves; anything else is a
message to the active buffer. Empty or blank lines give no action (they are
never sent).
"""

from __future__ import annotations

from dataclasses import dataclass

from chatroom.protocol.casemap import is_channel_name


@dataclass(frozen=True, slots=True)
class Action:
    """Base class of what the user asked for."""


@dataclass(frozen=True, slots=True)
class SendMessage(Action):
    """Send ``text`` to a room or person; ``target`` None means the active buffer.
    ``reply_to``: the msgid it answers (+draft/reply), if any."""

    target: str | None
    text: str
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class SendAction(Action):
    """``/me waves``: a CTCP ACTION to the active buffer."""

    target: str | None
    text: str


@dataclass(frozen=True, slots=True)
class ReplyTo(Action):
    """``/reply WHO TEXT``: answer the newest message here from the nick ``chosen``,
    or with a msgid starting so."""

    chosen: str
    text: str


@dataclass(frozen=True, slots=True)
class React(Action):
    """``/react EMOJI [WHO]``: react to (or take back a reaction to) the newest
    message here from someone else, or the one ``chosen`` names as ``/reply`` does."""

    text: str
    chosen: str = ""


@dataclass(frozen=True, slots=True)
class Delete(Action):
    """``/delete [WHO]``: delete (REDACT) one's newest message here, or the newest one
    ``chosen`` names as ``/reply`` does (a msgid prefix, or a nick: an operator's)."""

    chosen: str = ""


@dataclass(frozen=True, slots=True)
class Join(Action):
    channel: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class Part(Action):
    """Leave ``channel`` (None: the active room)."""

    channel: str | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ChangeNick(Action):
    nick: str


@dataclass(frozen=True, slots=True)
class Topic(Action):
    """Show the topic (``text`` None) or set it."""

    channel: str | None
    text: str | None


@dataclass(frozen=True, slots=True)
class Names(Action):
    """Show the people in ``channel`` (None: the active room)."""

    channel: str | None


@dataclass(frozen=True, slots=True)
class ListRooms(Action):
    pass


@dataclass(frozen=True, slots=True)
class Away(Action):
    """Mark yourself away with ``message``, or back (``None``)."""

    message: str | None


@dataclass(frozen=True, slots=True)
class Switch(Action):
    """Look at another buffer: a name, a unique name prefix, or a number."""

    target: str


@dataclass(frozen=True, slots=True)
class Close(Action):
    """Close a buffer (leaving the room if it is one); None: the active buffer."""

    target: str | None


@dataclass(frozen=True, slots=True)
class OpenPrivate(Action):
    """``/query NICK``: open (or show) a private chat without sending anything."""

    nick: str


@dataclass(frozen=True, slots=True)
class FetchOlder(Action):
    """``/history [N]``: fetch up to ``limit`` older messages of the active buffer."""

    limit: int


@dataclass(frozen=True, slots=True)
class SearchHistory(Action):
    """``/search WORDS``: search the history the server keeps (soju.im/search).
    ``room``: only there; ``quiet``: answer with the results event only (a search box)."""

    text: str
    room: str | None = None
    quiet: bool = False


@dataclass(frozen=True, slots=True)
class Upload(Action):
    """``/upload PATH``: share a file (soju.im/FILEHOST) and send its link."""

    path: str


@dataclass(frozen=True, slots=True)
class Register(Action):
    """``/register PASSWORD``: create an account named after the current nick."""

    password: str


@dataclass(frozen=True, slots=True)
class Login(Action):
    """``/login PASSWORD``: log in (SASL) to the account named after the current nick."""

    password: str


SECRET_COMMANDS = frozenset({"register", "login"})
"""Commands whose arguments are passwords: never kept in the input history."""


@dataclass(frozen=True, slots=True)
class Quit(Action):
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Help(Action):
    """Show help on ``command`` (without the slash), or the list of commands."""

    command: str | None


@dataclass(frozen=True, slots=True)
class Raw(Action):
    """``/quote LINE``: send a raw IRC line (for people who know IRC)."""

    line: str


@dataclass(frozen=True, slots=True)
class Problem(Action):
    """The input could not be understood; show ``text`` to the user, send nothing."""

    text: str


@dataclass(frozen=True, slots=True)
class CommandHelp:
    """One command: its name, usage and a one-line summary."""

    name: str
    usage: str
    summary: str
    aliases: tuple[str, ...] = ()


COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp("join", "/join #room [key]", "join a room (created if it does not exist)", ("j",)),
    CommandHelp("part", "/part [#room] [reason]", "leave a room (the one you are in by default)"),
    CommandHelp("msg", "/msg NICK TEXT", "send a private message and open a private chat"),
    CommandHelp("query", "/query NICK", "open a private chat without sending anything"),
    CommandHelp("me", "/me TEXT", "describe an action: /me waves"),
    CommandHelp("nick", "/nick NEWNAME", "change your name"),
    CommandHelp("topic", "/topic [TEXT]", "show or set the room's topic"),
    CommandHelp("names", "/names [#room]", "list the people in the room", ("who",)),
    CommandHelp("list", "/list", "list the rooms on this server"),
    CommandHelp("away", "/away [MESSAGE]", "mark yourself away; /away alone marks you back"),
    CommandHelp(
        "switch", "/switch NAME|NUMBER", "look at another room or private chat (or Alt+number)"
    ),
    CommandHelp("close", "/close [NAME]", "close a private chat, or leave and close a room"),
    CommandHelp("reply", "/reply NICK|MSGID TEXT", "answer NICK's last message (or that msgid)"),
    CommandHelp("react", "/react EMOJI [NICK|MSGID]", "react to the last message; again: undo"),
    CommandHelp("delete", "/delete [MSGID|NICK]", "delete your last message (or that one)"),
    CommandHelp("history", "/history [N]", "fetch N older messages here (default 50)"),
    CommandHelp("search", "/search WORDS", "find messages containing WORDS in the history"),
    CommandHelp("upload", "/upload PATH", "share a file: upload it and send its link here"),
    CommandHelp("register", "/register PASSWORD", "create an account for your current name"),
    CommandHelp("login", "/login PASSWORD", "log in to the account of your current name"),
    CommandHelp("quote", "/quote LINE", "send a raw IRC line", ("raw",)),
    CommandHelp("help", "/help [COMMAND]", "show this help"),
    CommandHelp("quit", "/quit [MESSAGE]", "leave the chat (typing QUIT works too)", ("exit",)),
)

_BY_NAME: dict[str, CommandHelp] = {}
for _entry in COMMANDS:
    _BY_NAME[_entry.name] = _entry
    for _alias in _entry.aliases:
        _BY_NAME[_alias] = _entry


def command_names() -> list[str]:
    """Every command and alias, with the slash, for completion."""
    return sorted("/" + name for name in _BY_NAME)


def find_command(name: str) -> CommandHelp | None:
    return _BY_NAME.get(name.lower().lstrip("/"))


def parse_input(text: str) -> Action | None:
    """Turn one line of user input into an action; ``None`` for a blank line.

    Trailing newlines are ignored; other whitespace in messages is kept as typed.
    """
    text = text.rstrip("\r\n")
    if not text.strip():
        return None
    if text.strip() == "QUIT":  # the tutorial's way to leave
        return Quit()
    if text.startswith("//"):
        return SendMessage(None, text[1:])
    if not text.startswith("/"):
        return SendMessage(None, text)
    name, _, rest = text[1:].partition(" ")
    entry = find_command(name)
    if entry is None:
        return Problem(f"Unknown command /{name}. Type /help for the list.")
    return _PARSERS[entry.name](rest.strip(), entry)


def _usage(entry: CommandHelp) -> Problem:
    return Problem(f"Usage: {entry.usage} ({entry.summary})")


def _join(rest: str, entry: CommandHelp) -> Action:
    words = rest.split()
    if not words or len(words) > 2:
        return _usage(entry)
    channel = words[0] if is_channel_name(words[0]) else "#" + words[0]
    return Join(channel, words[1] if len(words) > 1 else "")


def _part(rest: str, entry: CommandHelp) -> Action:
    first, _, reason = rest.partition(" ")
    if first and is_channel_name(first):
        return Part(first, reason.strip())
    return Part(None, rest)


def _msg(rest: str, entry: CommandHelp) -> Action:
    target, _, message = rest.partition(" ")
    if not target or not message.strip():
        return _usage(entry)
    return SendMessage(target, message)


def _me(rest: str, entry: CommandHelp) -> Action:
    return SendAction(None, rest) if rest else _usage(entry)


def _nick(rest: str, entry: CommandHelp) -> Action:
    words = rest.split()
    return ChangeNick(words[0]) if len(words) == 1 else _usage(entry)


def _topic(rest: str, entry: CommandHelp) -> Action:
    first, _, text = rest.partition(" ")
    if first and is_channel_name(first):
        return Topic(first, text or None)
    return Topic(None, rest or None)


def _names(rest: str, entry: CommandHelp) -> Action:
    words = rest.split()
    if len(words) > 1:
        return _usage(entry)
    if words and not is_channel_name(words[0]):
        words[0] = "#" + words[0]
    return Names(words[0] if words else None)


def _list(rest: str, entry: CommandHelp) -> Action:
    return ListRooms()


def _away(rest: str, entry: CommandHelp) -> Action:
    return Away(rest or None)


def _switch(rest: str, entry: CommandHelp) -> Action:
    words = rest.split()
    return Switch(words[0]) if len(words) == 1 else _usage(entry)


def _close(rest: str, entry: CommandHelp) -> Action:
    words = rest.split()
    if len(words) > 1:
        return _usage(entry)
    return Close(words[0] if words else None)


def _query(rest: str, entry: CommandHelp) -> Action:
    words = rest.split()
    if len(words) != 1 or is_channel_name(words[0]):
        return _usage(entry)
    return OpenPrivate(words[0])


MAX_HISTORY_FETCH = 1000  # one /history asks for at most this many (the server caps it too)


def _history(rest: str, entry: CommandHelp) -> Action:
    words = rest.split()
    if not words:
        return FetchOlder(50)
    if len(words) > 1 or not words[0].isdigit() or int(words[0]) < 1:
        return _usage(entry)
    return FetchOlder(min(int(words[0]), MAX_HISTORY_FETCH))


def _search(rest: str, entry: CommandHelp) -> Action:
    text = rest.strip()
    return SearchHistory(text) if text else _usage(entry)


def _reply(rest: str, entry: CommandHelp) -> Action:
    chosen, _, text = rest.strip().partition(" ")
    return ReplyTo(chosen, text.strip()) if chosen and text.strip() else _usage(entry)


def _react(rest: str, entry: CommandHelp) -> Action:
    words = rest.split()
    return React(words[0], words[1] if len(words) > 1 else "") if words else _usage(entry)


def _delete(rest: str, entry: CommandHelp) -> Action:
    words = rest.split()
    return _usage(entry) if len(words) > 1 else Delete(words[0] if words else "")


def _upload(rest: str, entry: CommandHelp) -> Action:
    path = rest.strip()  # the whole rest: a path may contain spaces
    return Upload(path) if path else _usage(entry)


def _register(rest: str, entry: CommandHelp) -> Action:
    # The whole rest is the password: it may contain spaces.
    return Register(rest) if rest else _usage(entry)


def _login(rest: str, entry: CommandHelp) -> Action:
    return Login(rest) if rest else _usage(entry)


def is_secret(text: str) -> bool:
    """Whether ``text`` is a command carrying a password (kept out of input history)."""
    if not text.startswith("/") or text.startswith("//"):
        return False
    entry = find_command(text[1:].partition(" ")[0])
    return entry is not None and entry.name in SECRET_COMMANDS


def _quote(rest: str, entry: CommandHelp) -> Action:
    return Raw(rest) if rest else _usage(entry)


def _help(rest: str, entry: CommandHelp) -> Action:
    return Help(rest.split()[0].lstrip("/").lower() if rest.split() else None)


def _quit(rest: str, entry: CommandHelp) -> Action:
    return Quit(rest)


_PARSERS = {
    "join": _join,
    "part": _part,
    "msg": _msg,
    "me": _me,
    "nick": _nick,
    "topic": _topic,
    "names": _names,
    "list": _list,
    "away": _away,
    "switch": _switch,
    "close": _close,
    "quote": _quote,
    "query": _query,
    "history": _history,
    "search": _search,
    "reply": _reply,
    "react": _react,
    "delete": _delete,
    "upload": _upload,
    "register": _register,
    "login": _login,
    "help": _help,
    "quit": _quit,
}


def help_lines(command: str | None = None) -> list[str]:
    """Help text, one line per entry: all commands, or one in detail."""
    if command is not None:
        entry = find_command(command)
        if entry is None:
            return [f"No command /{command}. Type /help for the list."]
        aliases = ", ".join("/" + a for a in entry.aliases)
        extra = f" (also {aliases})" if aliases else ""
        return [f"{entry.usage}: {entry.summary}{extra}"]
    lines = ["Commands:"]
    lines += [f"  {entry.usage:<26} {entry.summary}" for entry in COMMANDS]
    lines.append("Anything else you type is sent to the room or person you are looking at.")
    return lines
