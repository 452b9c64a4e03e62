"""The channels of this server: rooms (:mod:`chatroom.server.room`) whose members
are sessions. Import the channel type and the mode tables from here."""

from __future__ import annotations

from typing import TypeAlias

from chatroom.server.room import (
    FLAG_MODES,
    LIST_MODES,
    PARAM_ALWAYS,
    PARAM_SET,
    PREFIX_CHARS,
    PREFIX_MODES,
    ListEntry,
    Room,
    status_prefix,
    with_status,
)
from chatroom.server.session import Session

Channel: TypeAlias = Room[Session]
"""A channel: its members are this server's sessions."""

__all__ = [
    "FLAG_MODES",
    "LIST_MODES",
    "PARAM_ALWAYS",
    "PARAM_SET",
    "PREFIX_CHARS",
    "PREFIX_MODES",
    "Channel",
    "ListEntry",
    "status_prefix",
    "with_status",
]
