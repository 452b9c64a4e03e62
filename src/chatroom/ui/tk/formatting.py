"""What the Tk window shows, as plain data: conversation lines, list rows, the
title and the status bar. No tkinter here, so all of it is tested without a
display.

A conversation line is a list of :data:`Segment` ``(text, tags)`` pairs ending
in a newline, ready for one ``Text.insert`` call; the tag names are the
vocabulary of :mod:`chatroom.ui.tk.theme`, which gives each one its look. The
tutorial's sentences are kept word for word (tests check them).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from chatroom.client.model import SERVER_BUFFER, BufferKind, BufferView, Message, MessageKind

Segment = tuple[str, tuple[str, ...]]
"""A piece of text and the tag names that style it."""

APP_NAME = "Chatroom"

# The tutorial's words.
TRYING = "Trying to connect to {host}:{port}..."
CONNECTED = "Successfully connected to {host}:{port}"
WELCOME = "Welcome, {nick}! Getting ready to send and receive messages..."
ALL_SET = "All set! Leave the chatroom anytime by typing 'QUIT' or closing this window."
LOST = "Oh no, we have lost connection to the server!"
COULD_NOT_CONNECT = "Could not connect to {host}:{port}: {reason}"

NICK_COLOUR_COUNT = 10
"""How many nick colours the theme defines (tags ``nick0`` .. ``nick9``)."""

NICK_WIDTH = 14
"""Longest nick shown in full in the nick column; longer ones end in an ellipsis."""

# Kinds shown as muted one-liners about the room rather than as speech.
_EVENT_KINDS = {
    MessageKind.JOIN: "→",
    MessageKind.PART: "←",
    MessageKind.QUIT: "←",
    MessageKind.KICK: "←",
    MessageKind.NICK: "•",
    MessageKind.TOPIC: "•",
    MessageKind.MODE: "•",
    MessageKind.INFO: "•",
}


def nick_colour_tag(nick: str) -> str:
    """The colour tag of ``nick`` (``"nick0"``..): stable across sessions and
    machines (a CRC, not Python's salted ``hash``), case-insensitive."""
    return f"nick{zlib.crc32(nick.lower().encode('utf-8')) % NICK_COLOUR_COUNT}"


def clock(when: datetime, tz: tzinfo | None = None) -> str:
    """``HH:MM`` in ``tz`` (default: the local time zone)."""
    return when.astimezone(tz).strftime("%H:%M")


def short_nick(nick: str) -> str:
    """``nick`` cut to :data:`NICK_WIDTH` characters so the columns stay straight."""
    return nick if len(nick) <= NICK_WIDTH else nick[: NICK_WIDTH - 1] + "…"


def message_line(message: Message, tz: tzinfo | None = None) -> list[Segment]:
    """One message as segments: time, tab, who (right-aligned), tab, text, newline.

    The two tabs line the text up in a column whatever the nick's length (the
    theme sets the tab stops and a hanging indent, so wrapped text stays in its
    column). Whole-line tags say what the line is: ``history`` for lines
    replayed from the server's history (muted), ``own`` for the user's own
    messages, ``mention`` when it names the user, ``event`` for joins, parts and
    other notices about the room, ``error`` for problems; ``m:<msgid>`` names the
    message (:mod:`chatroom.ui.tk.annotations` adds its quote and reactions).
    """
    line_tags: tuple[str, ...] = ("line",)
    if message.msgid:  # finds the line again: its reply quote, reactions, menu
        line_tags += (f"m:{message.msgid}",)
    if message.history:
        line_tags += ("history",)
    if message.own:
        line_tags += ("own",)
    if message.mention and not message.own:
        line_tags += ("mention",)
    time_seg: Segment = (clock(message.time, tz), (*line_tags, "time"))
    sender = message.sender or ""
    kind = message.kind
    if kind is MessageKind.MESSAGE:
        who = (short_nick(sender), (*line_tags, "nick", nick_colour_tag(sender)))
        body = (message.text, (*line_tags, "body"))
    elif kind is MessageKind.ACTION:
        who = ("*", (*line_tags, "nick", nick_colour_tag(sender)))
        body = (f"{sender} {message.text}", (*line_tags, "body", "action"))
    elif kind is MessageKind.NOTICE:
        name = f"-{short_nick(sender or 'server')}-"
        who = (name, (*line_tags, "nick", "notice"))
        body = (message.text, (*line_tags, "body", "notice"))
    elif kind is MessageKind.ERROR:
        who = ("!", (*line_tags, "nick", "error"))
        body = (message.text, (*line_tags, "body", "error"))
    else:
        who = (_EVENT_KINDS.get(kind, "•"), (*line_tags, "nick", "event"))
        body = (message.text, (*line_tags, "body", "event"))
    tab: Segment = ("\t", line_tags)
    return [time_seg, tab, who, tab, body, ("\n", line_tags)]


NEW_MESSAGES = "── new messages ──"


def new_messages_line() -> list[Segment]:
    """The line above the first message not read yet (read-marker), when coming to a
    buffer."""
    return [(f"\t\t{NEW_MESSAGES}\n", ("line", "mention"))]


def note(text: str, when: datetime, *, error: bool = False) -> Message:
    """A line from the window itself (connection news), shaped like a message."""
    return Message(when, MessageKind.ERROR if error else MessageKind.INFO, None, text)


def flatten(lines: Iterable[list[Segment]]) -> list[str | tuple[str, ...]]:
    """Lines as the flat ``text, tags, text, tags...`` argument list of one
    ``Text.insert`` call (one Tcl call per batch, however many lines)."""
    out: list[str | tuple[str, ...]] = []
    for line in lines:
        for text, tags in line:
            out += [text, tags]
    return out


# -- the window's frame: title, lists, topic, status ---------------------------------


def buffer_label(view: BufferView) -> str:
    """How a buffer is named in the list on the left."""
    if view.kind is BufferKind.SERVER:
        return "Server"
    if view.kind is BufferKind.PRIVATE and view.online is not None:
        # Whether the person is connected (MONITOR); not by colour alone.
        return f"{'●' if view.online else '○'} {view.name}"
    return view.name


def title_text(active: BufferView | None, views: Iterable[BufferView]) -> str:
    """The window title: "Chatroom — #lobby (3 unread)".

    The count is the unread total of the buffers the user is not looking at;
    the server buffer is left out of the name (it is not a place to chat).
    """
    title = APP_NAME
    if active is not None and active.kind is not BufferKind.SERVER:
        title += f" — {active.name}"
    unread = sum(v.unread for v in views if not v.active)
    if unread:
        title += f" ({unread} unread)"
    return title


@dataclass(frozen=True, slots=True)
class BufferRow:
    """One row of the rooms list. ``key`` identifies the buffer (its name);
    ``section`` is where it goes: "server", "rooms" or "people"."""

    key: str
    label: str
    badge: str
    section: str
    tags: tuple[str, ...]


SECTIONS = (("rooms", "Rooms"), ("people", "Private chats"))
"""Headings of the rooms list, in order; the server row sits above them."""


def buffer_rows(views: Sequence[BufferView]) -> list[BufferRow]:
    """Rows for the rooms list, in the core's order within each section.

    The badge is the unread count ("12", "99+"), with "@" when the user was
    mentioned; tags say how to draw the row (``unread``, ``mention``, ``left``
    for a room the user is no longer in, ``online``/``offline`` for a private
    chat whose person's presence is known).
    """
    rows = []
    for view in views:
        section = {
            BufferKind.SERVER: "server",
            BufferKind.CHANNEL: "rooms",
            BufferKind.PRIVATE: "people",
        }[view.kind]
        badge = ""
        tags: list[str] = []
        if view.unread:
            badge = "99+" if view.unread > 99 else str(view.unread)
            tags.append("unread")
        if view.mentioned:
            badge = "@ " + badge if badge else "@"
            tags.append("mention")
        if view.kind is BufferKind.CHANNEL and not view.joined:
            tags.append("left")
        if view.kind is BufferKind.PRIVATE and view.online is not None:
            tags.append("online" if view.online else "offline")
        rows.append(BufferRow(view.name, buffer_label(view), badge, section, tuple(tags)))
    return rows


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One person in the members list; ``op`` marks room operators, ``away`` those
    away (shown greyed, with a mark)."""

    nick: str
    label: str
    op: bool
    own: bool
    away: bool = False


def member_rows(view: BufferView | None, own_nick: str | None) -> list[MemberRow]:
    """The people of the active room, operators first (the core's order)."""
    if view is None or view.kind is not BufferKind.CHANNEL:
        return []
    own = (own_nick or "").lower()
    return [
        MemberRow(m.nick, m.label, "@" in m.prefixes, m.nick.lower() == own, m.away)
        for m in view.members
    ]


def members_heading(view: BufferView | None) -> str:
    """ "3 people", "1 person", or the other party of a private chat."""
    if view is None or view.kind is BufferKind.SERVER:
        return ""
    if view.kind is BufferKind.PRIVATE:
        return "Private chat"
    count = len(view.members)
    return f"{count} {'person' if count == 1 else 'people'}"


def topic_texts(view: BufferView | None) -> tuple[str, str]:
    """The header above the conversation: (heading, the line under it)."""
    if view is None:
        return APP_NAME, "Not connected yet."
    if view.kind is BufferKind.SERVER:
        return "Server messages", "News from the server: welcome text, errors, replies."
    if view.kind is BufferKind.PRIVATE:
        return view.name, f"Private chat with {view.name}: only the two of you see it."
    if not view.joined:
        return view.name, "You are not in this room any more; /join it again to chat."
    return view.name, view.topic or "No topic yet. Set one with /topic followed by the text."


@dataclass(frozen=True, slots=True)
class Status:
    """The status bar: ``state`` is "ok", "busy" or "down" (its colour)."""

    text: str
    state: str


def connected_status(host: str, port: int, nick: str | None) -> Status:
    who = f" as {nick}" if nick else ""
    return Status(f"Connected to {host}:{port}{who}", "ok")


def reconnect_status(seconds_left: float | None) -> Status:
    """ "Reconnecting in 3 s…" while waiting, "Reconnecting…" once trying."""
    if seconds_left is None or seconds_left <= 0:
        return Status("Reconnecting…", "busy")
    return Status(f"Reconnecting in {math.ceil(seconds_left)} s…", "busy")


def seconds(value: float) -> str:
    return f"{value:g} second" + ("" if value == 1 else "s")


def display_name(name: str) -> str:
    return "server" if name == SERVER_BUFFER else name
