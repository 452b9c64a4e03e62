"""What local users are told when Redis goes away and comes back, and how a nick
given out twice meanwhile is settled.

While Redis is away, nicks are checked on this process only, so two processes can
give one nick to two users. When the network heals, the user whose process claims
the nick in Redis first keeps it (Redis kept the claim of its owner from before,
or, after Redis restarted empty, the first process to claim it again); the other
is renamed here by :func:`give_up_nick` and told why.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from chatroom.protocol.line import Line
from chatroom.server.auth import guest_nick

if TYPE_CHECKING:
    from chatroom.server.server import Server

log = logging.getLogger("chatroom.cluster")

SPLIT = (
    "The chat network is split: you can keep chatting with the users of this server, "
    "but users on other servers will not see you (nor you them) until it heals."
)
NO_HISTORY = "(messages sent meanwhile on other servers cannot be caught up)"


def healed(caught_up: int | None) -> str:
    """The notice once the network is whole again; ``caught_up`` None: history cannot
    tell what was missed."""
    text = "The chat network is whole again"
    if caught_up is None:
        return f"{text} {NO_HISTORY}."
    plural = "" if caught_up == 1 else "s"
    return f"{text}: {caught_up} message{plural} from other servers caught up."


def tell_everyone(server: Server, text: str) -> None:
    """One server NOTICE to every registered local user."""
    for session in list(server.users.values()):
        session.send_line(Line("NOTICE", (session.nick, text), server.config.name))


def give_up_nick(server: Server, folded: str, guest: str | None = None) -> str | None:
    """Rename the local user of ``folded`` (another process kept that nick) to
    ``guest`` or a fresh ``GuestNNNNN``, tell them why, publish the change as any
    NICK; return the new nick, or None if no local user has ``folded`` any more."""
    session = server.users.get(folded)
    if session is None:
        return None
    old = session.nick
    new = guest or guest_nick(server)
    log.warning("Nick %s was given out twice while Redis was away: renamed ours to %s", old, new)
    session.send_line(server.rename(session, new))
    text = (
        f"While the chat network was split, another user took the nick {old} on another "
        f"server, and the nick stays theirs: you are now {new}."
    )
    session.send_line(Line("NOTICE", (new, text), server.config.name))
    return new
