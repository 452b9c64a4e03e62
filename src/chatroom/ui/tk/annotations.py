"""What the window shows around a message line, as plain data (no tkinter): the
quoted original above a reply (https://ircv3.net/specs/client-tags/reply), the
reactions under a message (https://ircv3.net/specs/client-tags/react), which
actions a message's menu offers, and which links get a thumbnail.

The presenter draws message lines; :class:`MessageIndex` remembers, from the
same events, each message by msgid and its reactions, so that a reply can quote
its original and a redraw can put the reactions back. The core's model is the
truth; this is a bounded copy of what reached the Tk thread, because the model
lives on the client's thread.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import urlsplit

from chatroom.client import casefold
from chatroom.client.chathistory import AroundLoaded
from chatroom.client.events import (
    ActiveBufferChanged,
    Event,
    HistoryLoaded,
    MessageAdded,
    MessageDeleted,
    OlderMessages,
    ReactionsChanged,
)
from chatroom.client.model import DELETED_TEXT, BufferView, Message, Reaction
from chatroom.ui.tk.formatting import Segment

QUICK_REACTIONS = ("👍", "❤️", "😂", "🎉", "😮", "😢")
"""The reactions the menu offers in one click (others: "Other…")."""

QUOTE_CHARS = 70
"""Longest quote of the original shown above a reply (its first line, shortened)."""

KEEP = 5000
"""Messages (and their reactions) remembered by msgid; beyond it the oldest go."""

FILE_LINK = re.compile(r"https?://[^\s/]+/files/[A-Za-z0-9_-]{22}(?![A-Za-z0-9_/-])")
"""A link to a file shared through the chat server (``/files/NAME``, see
:mod:`chatroom.web.files`); ``/files/NAME/thumb`` is its thumbnail when an image."""


def message_tag(msgid: str) -> str:
    """The Text tag on every character of the message line with ``msgid``."""
    return f"m:{msgid}"


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """The first line of ``text``, cut to ``limit`` characters with an ellipsis."""
    first, _, rest = text.strip().partition("\n")
    if len(first) > limit:
        return first[: limit - 1].rstrip() + "…"
    return first + (" …" if rest.strip() else "")


def quote_text(original: Message | None) -> str:
    """What stands above a reply: ``↪ bob: the original's first line``."""
    if original is None:
        return "↪ a message not loaded here"
    text = DELETED_TEXT if original.deleted else shorten(original.text)
    return f"↪ {original.sender or '?'}: {text}"


def quote_line(original: Message | None, reply: Message) -> list[Segment]:
    """The line above ``reply`` quoting ``original``; tagged as part of the reply
    (``q:`` marks it drawn, so a redraw never adds it twice)."""
    tags: tuple[str, ...] = ("line", "quote", f"q:{reply.msgid}")
    if reply.history:
        tags += ("history",)
    return [(f"\t\t{quote_text(original)}\n", tags)]


def reaction_label(reaction: Reaction) -> str:
    """One reaction as shown under a message: `` 👍 2 ``."""
    return f" {reaction.text} {reaction.count} "


def delete_allowed(message: Message, view: BufferView | None, nick: str | None) -> bool:
    """Whether to offer "Delete": one's own message, or any in a room where one is an
    operator (the server decides; this only avoids offering what it would refuse)."""
    if not message.msgid or message.deleted or message.sender is None:
        return False
    if message.own:
        return True
    if view is None or nick is None:
        return False
    folded = casefold(nick)
    return any(casefold(m.nick) == folded and "@" in m.prefixes for m in view.members)


def file_links(text: str, host: str) -> list[str]:
    """Links in ``text`` to files shared on the chat server at ``host``: only those get
    a thumbnail, so reading the chat never tells another site who reads it."""
    return [m.group(0) for m in FILE_LINK.finditer(text) if urlsplit(m.group(0)).hostname == host]


def thumbnail_url(link: str) -> str:
    """The server's thumbnail of a shared image (404 when the file is not an image)."""
    return link + "/thumb"


class MessageIndex:
    """Messages and reactions seen in events, by msgid, at most :data:`KEEP`."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.messages: OrderedDict[str, Message] = OrderedDict()
        self.reactions: dict[str, tuple[Reaction, ...]] = {}

    def get(self, msgid: str | None) -> Message | None:
        return self.messages.get(msgid) if msgid else None

    def remember(self, messages: Iterable[Message]) -> None:
        for message in messages:
            if message.msgid:
                self.messages[message.msgid] = message
                self.messages.move_to_end(message.msgid)
        while len(self.messages) > self.keep:
            gone, _ = self.messages.popitem(last=False)
            self.reactions.pop(gone, None)

    def observe(self, event: Event) -> tuple[Message, ...]:
        """Learn from ``event``; returns the messages it (re)draws, whose quotes,
        reactions and thumbnails the window must then add."""
        drawn: tuple[Message, ...] = ()
        if isinstance(event, MessageAdded):
            drawn = (event.message,) if event.active else ()
            self.remember((event.message,))
        elif isinstance(event, ActiveBufferChanged):
            drawn = event.backlog
        elif isinstance(event, HistoryLoaded | MessageDeleted):
            self.remember(event.backlog)
            drawn = event.backlog if event.active else ()
        elif isinstance(event, OlderMessages | AroundLoaded):
            drawn = event.messages
        elif isinstance(event, ReactionsChanged):
            if event.reactions:
                self.reactions[event.msgid] = event.reactions
            else:
                self.reactions.pop(event.msgid, None)
        self.remember(drawn)
        return drawn
