"""Channel events in history, for ``draft/event-playback``.

IRCv3 chathistory ("Event playback", https://ircv3.net/specs/extensions/chathistory):
a server may replay JOIN, PART, KICK, MODE, TOPIC, QUIT and NICK to a client that
negotiated ``draft/event-playback``, inside the chathistory batch, each with its
``time`` and ``msgid``. As Ergo does, each event is filed under its channel; QUIT and
NICK, whose lines name no channel, under every channel the user was in.

An event is not a message anyone waits an acknowledgement for, so unlike PRIVMSG it is
not held back until stored: it is relayed first and appended to history right after,
with the same durability as a message (a failed store is logged, nobody is told).
Only the process where the event happened stores it; an event that another process of
the network relays here is stored there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Protocol

from chatroom.protocol.line import Line
from chatroom.server.room import LIST_MODES, PARAM_ALWAYS, PARAM_SET, PREFIX_MODES
from chatroom.storage.base import (
    EVENT_PARAM_SEPARATOR,
    HistoryStore,
    MessageKind,
    OnStored,
    StoredMessage,
    utc_now,
)

log = logging.getLogger("chatroom.server")


class Room(Protocol):
    """What an event is filed under: a channel's key and its own name."""

    @property
    def folded(self) -> str: ...
    @property
    def name(self) -> str: ...


def record(
    store: HistoryStore | None,
    new_msgid: Callable[[], str],
    line: Line,
    account: str | None,
    channels: Iterable[Room],
) -> None:
    """Store the event *line* (just relayed; *account*: its sender's) in the history of
    each of *channels*, stamped with the line's own ``time`` and a fresh msgid each.
    Nothing without a *store* (history off), nor while it is not writable (disk full:
    the messages it refuses meanwhile would be missing around the events anyway)."""
    if store is None or not store.writable or line.source is None:
        return
    kind = MessageKind(line.command)
    when = _time_of(line)
    params = _without_keys(line.params) if kind is MessageKind.MODE else line.params
    text = EVENT_PARAM_SEPARATOR.join(params)
    for channel in channels:
        event = StoredMessage(
            new_msgid(), when, channel.folded, kind, line.source, channel.name, text, account
        )
        store.append(event, _logged(kind, channel.name))


def _without_keys(params: tuple[str, ...]) -> tuple[str, ...]:
    """A channel MODE's parameters with each ``+k``/``-k`` key replaced by ``*``: the
    members who saw it live knew the key, but whoever joins later and reads history
    (after the key changed, say) must not learn it."""
    if len(params) < 3:
        return params
    out = list(params)
    arg = 2  # params: channel, mode string, then one argument per mode that takes one
    adding = True
    for mode in params[1]:
        if mode in "+-":
            adding = mode == "+"
        elif mode in PARAM_ALWAYS or mode in LIST_MODES or mode in PREFIX_MODES:
            if mode == "k" and arg < len(out):
                out[arg] = "*"
            arg += 1
        elif mode in PARAM_SET and adding:
            arg += 1
    return tuple(out)


def _time_of(line: Line) -> datetime:
    """The ``time`` tag the event was relayed with (so replay shows the same time)."""
    stamp = line.tags.get("time")
    if stamp is not None:
        try:
            return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        except ValueError:
            pass
    return utc_now()


def _logged(kind: MessageKind, channel: str) -> OnStored:
    def on_stored(ok: bool) -> None:
        if not ok:
            log.warning("Could not store a %s event of %s in history", kind.value, channel)

    return on_stored
