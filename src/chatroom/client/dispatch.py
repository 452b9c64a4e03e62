"""The table the client's line handlers register in, and helpers they share.

Handlers live in several modules by subject (:mod:`~chatroom.client.handlers`
for registration, rooms and replies; :mod:`~chatroom.client.messaging` for
PRIVMSG and NOTICE; :mod:`~chatroom.client.chathistory` for batches and
history; :mod:`~chatroom.client.accounts` for SASL and REGISTER). Each
registers with :func:`on` (a command or numeric) or :func:`on_reply` (the
command a ``FAIL``/``WARN``/``NOTE`` standard reply is about), so the table
stays the one place that says who reads what.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chatroom.client.model import Message, MessageKind
from chatroom.client.model import parse_server_time as server_time
from chatroom.protocol import Line, casefold

if TYPE_CHECKING:
    from chatroom.client.core import ChatClient

Handler = Callable[["ChatClient", Line], None]
HANDLERS: dict[str, Handler] = {}
"""Command or numeric -> handler."""

REPLY_HANDLERS: dict[str, Handler] = {}
"""Command named by a standard reply (``FAIL REGISTER ...``) -> handler. A
handler returns nothing; the generic display of the reply is skipped."""


def on(*commands: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``commands``."""

    def register(handler: Handler) -> Handler:
        for command in commands:
            HANDLERS[command] = handler
        return handler

    return register


def on_reply(*commands: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for standard replies about ``commands``."""

    def register(handler: Handler) -> Handler:
        for command in commands:
            REPLY_HANDLERS[command] = handler
        return handler

    return register


def nick_of(source: str | None) -> str:
    """The nick in a ``nick!user@host`` source (or the whole source)."""
    return (source or "").split("!", 1)[0]


def is_me(client: ChatClient, nick: str) -> bool:
    return client.nick is not None and casefold(nick) == casefold(client.nick)


def line_message(
    line: Line,
    kind: MessageKind,
    text: str,
    sender: str | None = None,
    *,
    own: bool = False,
    mention: bool = False,
    history: bool = False,
) -> Message:
    """A :class:`Message` carrying the line's ``time`` and ``msgid`` tags."""
    return Message(
        server_time(line.tags.get("time")),
        kind,
        sender,
        text,
        own=own,
        mention=mention,
        msgid=line.tags.get("msgid"),
        history=history,
    )
