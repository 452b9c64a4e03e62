"""How the terminal client words and styles things: pure functions from the
core's events and messages to styled text fragments.

Fragments are ``(style, text)`` pairs, prompt_toolkit's "formatted text"; plain
mode joins their texts. The tutorial's sentences are kept word for word.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime

from chatroom.client.events import (
    CertificateChanged,
    CertificateTrusted,
    CertificateUnknown,
    Connected,
    ConnectFailed,
    Connecting,
    ConnectionLost,
    ExitReason,
    NickRequired,
    NickTaken,
    Registered,
    Stopped,
)
from chatroom.client.model import (
    SERVER_BUFFER,
    BufferKind,
    BufferView,
    Message,
    MessageKind,
    Reaction,
    now_utc,
)
from chatroom.client.typing_notify import typing_text

Fragments = list[tuple[str, str]]

# The tutorial's words (kept exactly; tests check them).
TRYING = "Trying to connect to {host}:{port}..."
CONNECTED = "Successfully connected to {host}:{port}"
YOUR_NAME = "Your name: "
WELCOME = "Welcome, {nick}! Getting ready to send and receive messages..."
ALL_SET = "All set! Leave the chatroom anytime by typing 'QUIT'"
LOST = "Oh no, we have lost connection to the server!"
COULD_NOT_CONNECT = "Could not connect to {host}:{port}: {reason}"

# Colours for nicks: distinct on dark and light backgrounds; never red (errors).
NICK_COLOURS = (
    "ansigreen",
    "ansiyellow",
    "ansiblue",
    "ansimagenta",
    "ansicyan",
    "ansibrightgreen",
    "ansibrightblue",
    "ansibrightmagenta",
    "ansibrightcyan",
    "#d78700",
    "#5f87ff",
    "#af5fd7",
)

STYLE_RULES = {
    "history": "ansibrightblack",
    "time": "ansibrightblack",
    "notice": "ansibrightblack",
    "error": "ansired bold",
    "info": "ansibrightblack",
    "mention": "bg:ansiyellow ansiblack",
    "where": "ansibrightblack bold",
    "toolbar.active": "reverse bold",
    "toolbar.unread": "bold",
    "toolbar.mention": "bg:ansiyellow ansiblack bold",
    "toolbar.typing": "italic",
}


def nick_colour(nick: str) -> str:
    """A colour for ``nick``: the same nick gets the same colour in every session."""
    return NICK_COLOURS[zlib.crc32(nick.lower().encode("utf-8")) % len(NICK_COLOURS)]


def clock(when: datetime) -> str:
    """``HH:MM`` in the local time zone."""
    return when.astimezone().strftime("%H:%M")


def display_name(name: str) -> str:
    return "server" if name == SERVER_BUFFER else name


def message_fragments(message: Message, where: str | None = None) -> Fragments:
    """One message as one line of fragments (no newline).

    ``where`` names the buffer when it is not the one being looked at, so a
    line from elsewhere says where it belongs ("[#dev] ...").
    """
    out: Fragments = [("class:time", clock(message.time) + " ")]
    if where is not None:
        out.append(("class:where", f"[{display_name(where)}] "))
    sender = message.sender or ""
    colour = nick_colour(sender) if sender else ""
    body_style = "class:mention" if message.mention else ""
    kind = message.kind
    if kind is MessageKind.MESSAGE:
        out += [(f"{colour} bold", sender), ("", ": "), (body_style, message.text)]
    elif kind is MessageKind.ACTION:
        out += [("", "* "), (f"{colour} bold", sender), (body_style, " " + message.text)]
    elif kind is MessageKind.NOTICE:
        out += [("class:notice", f"-{sender or 'server'}- "), (body_style, message.text)]
    elif kind is MessageKind.ERROR:
        out.append(("class:error", "!! " + message.text))
    else:
        out.append(("class:info", "-- " + message.text))
    if message.history:
        # Replayed from the server's history: the whole line muted, colours dropped.
        return [("class:history", text) for _, text in out]
    return out


def quoted(message: Message | None, limit: int = 40) -> str:
    """A message as a reply or a reaction names it: ``alice: lunch?``, cut to ``limit``."""
    if message is None:
        return "an earlier message"
    text = message.text if len(message.text) <= limit else message.text[: limit - 1] + "…"
    return f"{message.sender}: {text}" if message.sender else text


def reply_fragments(answered: Message | None) -> Fragments:
    """The compact line above a reply, quoting what it answers."""
    return [("class:info", f"   ┌ {quoted(answered)}")]


def reactions_fragments(reacted: Message | None, reactions: tuple[Reaction, ...]) -> Fragments:
    """The compact line saying how people reacted to a message, as it is now."""
    if not reactions:
        return [("class:info", f"   └ no reactions left to {quoted(reacted)}")]
    counts = " ".join(f"{r.text}{'*' if r.mine else ''} {r.count}" for r in reactions)
    return [("class:info", f"   └ {counts}  ({quoted(reacted)})")]


def deleted_line(message: Message) -> Fragments:
    """The line saying a message shown earlier was deleted (draft/message-redaction)."""
    who = f"{message.sender}'s " if message.sender else "a "
    when = clock(message.time)
    return [
        ("class:time", clock(now_utc()) + " "),
        ("class:info", f"-- {who}{message.text} ({when})"),
    ]


def history_header(buffer: str, count: int, older: bool = False) -> Fragments:
    """The line above a block of history (on join, or fetched by /history)."""
    name = display_name(buffer)
    messages = "message" if count == 1 else "messages"
    if older:
        return [("class:where", f"── {count} older {messages} in {name} ──")]
    return [("class:where", f"── {count} earlier {messages} in {name} ──")]


def new_messages_line() -> Fragments:
    """The line above the first message not read yet, when coming to a buffer."""
    return [("class:mention", "── new messages ──")]


def history_start(buffer: str) -> Fragments:
    """The line saying there is nothing older to fetch."""
    return [("class:where", f"── start of the history of {display_name(buffer)} ──")]


def plain(fragments: Fragments) -> str:
    """The text of fragments, without styles (plain mode, logs, tests)."""
    return "".join(text for _, text in fragments)


def event_text(event: object, host_port: tuple[str, int] | None = None) -> str | None:
    """The line to print for a connection-level event, or ``None``.

    These are the tutorial's sentences; buffer and message events are rendered
    by :func:`message_fragments` instead.
    """
    if isinstance(event, Connecting):
        return TRYING.format(host=event.host, port=event.port)
    if isinstance(event, Connected):
        return CONNECTED.format(host=event.host, port=event.port)
    if isinstance(event, ConnectFailed):
        text = COULD_NOT_CONNECT.format(host=event.host, port=event.port, reason=event.reason)
        if not event.fatal and event.retry_in is not None:
            text += f"; trying again in {seconds(event.retry_in)}"
        return text
    if isinstance(event, NickTaken):
        return f"The name {event.nick} is taken; trying {event.trying} instead."
    if isinstance(event, NickRequired):
        return event.problem
    if isinstance(event, Registered):
        if event.reconnected:
            return f"Reconnected. Welcome back, {event.nick}!"
        return WELCOME.format(nick=event.nick)
    if isinstance(event, ConnectionLost):
        return LOST
    return None


def reconnect_text(event: ConnectionLost) -> str:
    """What follows the tutorial's "Oh no" line: why, and what happens next."""
    why = f"({event.reason}) " if event.reason else ""
    if event.reconnect_in is None:
        return f"{why}Not reconnecting (--no-reconnect)."
    return f"{why}Reconnecting in {seconds(event.reconnect_in)}..."


def refusal_text(event: Stopped) -> str | None:
    """The line explaining why the server turned us away (or we refused it)."""
    if event.reason is ExitReason.REJECTED:
        return f"The server refused the connection: {event.detail or 'no reason given'}"
    if event.reason is ExitReason.CERTIFICATE:
        return f"Not connected: {event.detail}."
    return None


TRUST_QUESTION = "Trust this certificate? [y/N] "


def certificate_question(event: CertificateUnknown) -> list[str]:
    """What to show before asking whether to trust a new certificate."""
    return [
        f"The certificate of {event.host}:{event.port} cannot be verified ({event.reason}).",
        "Its SHA-256 fingerprint is:",
        f"  {event.fingerprint}",
        "If it is the one the server's operator sees (chatroom server logs it when it",
        "starts), it is safe to trust it; it will then be remembered in",
        f"  {event.known_file}",
    ]


def certificate_untrusted(event: CertificateUnknown) -> list[str]:
    """Plain mode cannot ask: what to do instead."""
    return [
        *certificate_question(event)[:3],
        "Not trusted: nobody can be asked in plain mode. If this is the right",
        "fingerprint, run again with --trust-new-cert to accept and remember it.",
    ]


def certificate_trusted(event: CertificateTrusted) -> str:
    return f"Remembered the certificate of {event.host}:{event.port} in {event.known_file}"


def certificate_changed(event: CertificateChanged) -> list[str]:
    """The loud warning when a remembered certificate changes (as SSH words it)."""
    bar = "@" * 68
    where = f"{event.host}:{event.port}"
    file_line = (
        f"delete the line for {where} in {event.known_file}"
        if event.known_file
        else "connect again"
    )
    return [
        bar,
        f"@  WARNING: THE CERTIFICATE OF {where} HAS CHANGED!".ljust(67) + "@",
        bar,
        "Someone could be intercepting your connection (a man-in-the-middle",
        "attack), or the server's operator replaced its certificate.",
        f"  remembered fingerprint: {event.expected}",
        f"  presented fingerprint:  {event.fingerprint}",
        "Not connecting. If the operator confirms the change (compare the new",
        f"fingerprint with the one in the server's log), {file_line}",
        "and connect again.",
    ]


def seconds(value: float) -> str:
    return f"{value:g} second" + ("" if value == 1 else "s")


def switch_header(view: BufferView) -> Fragments:
    """The line printed when the user switches to a buffer."""
    name = display_name(view.name)
    text = f"── {name} ──"
    if view.kind is BufferKind.CHANNEL:
        count = len(view.members)
        people = "person" if count == 1 else "people"
        if not view.joined:
            text += " (you are not in this room)"
        elif count:
            text += f" {count} {people}"
        if view.topic:
            text += f" · {view.topic}"
    elif view.kind is BufferKind.PRIVATE:
        text += " private chat"
        if view.online is not None:
            text += " · online" if view.online else " · offline"
    return [("class:where", text)]


def presence_mark(view: BufferView) -> str:
    """After a private chat's name: "●" when its person is online, "○" when
    offline (MONITOR), nothing when not known."""
    if view.kind is not BufferKind.PRIVATE or view.online is None:
        return ""
    return "●" if view.online else "○"


def toolbar_fragments(
    views: Sequence[BufferView], nick: str | None, status: str, typing: Sequence[str] = ()
) -> Fragments:
    """The bottom bar: every buffer with its number and unread count, the active
    one highlighted, mentions marked; then the user's nick, the connection
    status, and who is typing in the active buffer ("alice is typing…")."""
    out: Fragments = []
    for view in views:
        label = f"{view.number}:{display_name(view.name)}{presence_mark(view)}"
        if view.unread:
            label += f"({view.unread}{'!' if view.mentioned else ''})"
        if view.active:
            style = "class:toolbar.active"
        elif view.mentioned:
            style = "class:toolbar.mention"
        elif view.unread:
            style = "class:toolbar.unread"
        else:
            style = ""
        out += [(style, label), ("", " ")]
    out.append(("", f" │ {nick or '?'}"))
    if status:
        out.append(("class:error", f" │ {status}"))
    if typing:
        out.append(("class:toolbar.typing", f" │ {typing_text(typing)}"))
    out.append(("", "  (Alt+number or /switch; /help)"))
    return out
