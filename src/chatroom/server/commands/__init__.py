"""The command table: one :class:`Command` per IRC verb.

Shared checks run once in :meth:`Server.dispatch` before any handler: is the
client registered (or may this command come before registration)? enough
parameters? an operator? Handlers share one signature,
``handler(server, session, line, rb)``, begin with a syntax line, and reply
only through the response buffer ``rb``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatroom.protocol.line import Line

if TYPE_CHECKING:
    from chatroom.server.response import ResponseBuffer
    from chatroom.server.server import Server
    from chatroom.server.session import Session

Handler = Callable[["Server", "Session", Line, "ResponseBuffer"], None]


@dataclass(frozen=True)
class Command:
    """A verb's handler and the checks that run before it."""

    handler: Handler
    min_params: int = 0
    pre_registration: bool = False
    oper_only: bool = False


COMMANDS: dict[str, Command] = {}


def command(
    name: str, min_params: int = 0, *, pre_registration: bool = False, oper_only: bool = False
) -> Callable[[Handler], Handler]:
    """Register a handler in :data:`COMMANDS` under ``name``."""

    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(handler, min_params, pre_registration, oper_only)
        return handler

    return register


# Importing the modules fills the table.
from chatroom.server.commands import (  # noqa: E402
    accounts,
    channels,
    history,
    info,
    messaging,
    modes,
    operators,
    queries,
    registration,
    services,
)

__all__ = [
    "COMMANDS",
    "Command",
    "accounts",
    "channels",
    "command",
    "history",
    "info",
    "messaging",
    "modes",
    "operators",
    "queries",
    "registration",
    "services",
]
