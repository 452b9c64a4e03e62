"""Tab completion of commands, rooms and nicks, from buffer snapshots.

Pure over :class:`~chatroom.client.model.BufferView` values, so a UI on another
thread (Tk) can complete from the snapshots it received in events, and the
terminal UI from the live model (through :meth:`ChatClient.complete`).
"""

from __future__ import annotations

from collections.abc import Iterable

from chatroom.client.commands import command_names
from chatroom.client.model import BufferKind, BufferView
from chatroom.protocol.casemap import casefold, is_channel_name


def complete_word(
    word: str,
    *,
    first: bool,
    active: BufferView | None,
    buffers: Iterable[BufferView],
    own_nick: str | None,
) -> list[str]:
    """Candidates for ``word``, the word before the cursor.

    ``first`` says whether it is the first word of the line: only there does a
    ``/`` start a command. A word starting with ``#`` completes open rooms;
    anything else completes the nicks of the active room and open private chats
    (never your own). Matching ignores case; the result is sorted.
    """
    folded = casefold(word)
    buffers = list(buffers)
    if first and word.startswith("/"):
        return [name for name in command_names() if name.startswith(word.lower())]
    if is_channel_name(word):
        rooms = {b.name for b in buffers if b.kind is BufferKind.CHANNEL}
        return sorted((r for r in rooms if casefold(r).startswith(folded)), key=casefold)
    nicks = {m.nick for m in active.members} if active is not None else set()
    nicks.update(b.name for b in buffers if b.kind is BufferKind.PRIVATE)
    if own_nick:
        nicks = {nick for nick in nicks if casefold(nick) != casefold(own_nick)}
    return sorted((nick for nick in nicks if casefold(nick).startswith(folded)), key=casefold)
