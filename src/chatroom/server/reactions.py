"""Reactions (https://ircv3.net/specs/client-tags/react): what history keeps of
a ``TAGMSG`` and the bound on reactions per message and user, pure and clock-free.

A reaction is a ``TAGMSG`` with ``+draft/react=<reaction>`` and ``+draft/reply=<msgid>``
(the message it reacts to); taking it back is the same with ``+draft/unreact``, as
ObsidianIRC and other clients that toggle reactions send it. Both are kept in history
and replayed with it, so a client rebuilds the counts from history alone.

The bound: one session may have at most :data:`MAX_PER_MESSAGE` reactions on one
message at once (an unreact frees its place); a reaction beyond it, longer than
:data:`MAX_BYTES`, or naming no message is refused with ``FAIL TAGMSG`` and neither
relayed nor stored. The last :data:`MAX_MESSAGES` messages a session reacted to are
remembered; beyond that the oldest is forgotten.
"""

from __future__ import annotations

REACT_TAG = "+draft/react"
UNREACT_TAG = "+draft/unreact"
REPLY_TAG = "+draft/reply"
KEPT_TAGS = frozenset({REACT_TAG, UNREACT_TAG})
"""A ``TAGMSG`` carrying one of these is kept in history (typing notifications are not)."""
MAX_PER_MESSAGE = 12
"""Reactions one session may have on one message at once."""
MAX_BYTES = 64
"""The longest reaction, in UTF-8 bytes: an emoji sequence or a short word, not a message."""
MAX_MESSAGES = 256
"""Messages remembered per session; beyond it the oldest is forgotten."""


class ReactionLimiter:
    """One session's reactions in force, per message (folded target and msgid)."""

    __slots__ = ("_given",)

    def __init__(self) -> None:
        self._given: dict[tuple[str, str], set[str]] = {}

    def check(self, target: str, tags: dict[str, str]) -> str | None:
        """None if the reaction (or unreact) in ``tags`` to ``target`` (casefolded)
        may go out, and remember it; else why not, as a sentence for ``FAIL``."""
        unreact = UNREACT_TAG in tags and REACT_TAG not in tags
        value = tags.get(UNREACT_TAG if unreact else REACT_TAG, "")
        msgid = tags.get(REPLY_TAG, "")
        if not msgid:
            return "A reaction must name the message it reacts to (+draft/reply)"
        if not value or len(value.encode()) > MAX_BYTES:
            return f"A reaction must be 1 to {MAX_BYTES} bytes long"
        key = (target, msgid)
        given = self._given.get(key)
        if unreact:
            if given is not None:
                given.discard(value)
            return None
        if given is None:
            if len(self._given) >= MAX_MESSAGES:
                del self._given[next(iter(self._given))]
            given = self._given[key] = set()
        if value not in given and len(given) >= MAX_PER_MESSAGE:
            return f"At most {MAX_PER_MESSAGE} reactions per message"
        given.add(value)
        return None
