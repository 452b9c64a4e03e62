"""A message for many recipients, formatted once per distinct tag profile.

Relaying is the hot path: the body (``:source COMMAND params``) is formatted
once, and each *tag profile* (which of server-time, message-tags and
account-tag a recipient enabled) gets one cached byte string. Recipients with
the same profile share the same bytes object (see PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from chatroom.protocol.decoder import MAX_BODY
from chatroom.protocol.line import Line, fit, format_tags

# Tag profile bits, computed by the session from its enabled caps.
TIME = 1
MSGTAGS = 2
ACCOUNT = 4

# Commands whose last parameter is free text that may be cut to fit 512 bytes (a
# mask or a nick, cut, would name something else).
FREE_TEXT = frozenset({"PRIVMSG", "NOTICE", "QUIT", "PART", "KICK", "TOPIC", "AWAY", "SETNAME"})


def format_time(when: datetime) -> str:
    """The server-time tag value: ISO 8601 UTC with milliseconds
    (https://ircv3.net/specs/extensions/server-time). ``when`` must be in UTC."""
    # isoformat is done in C; strftime cost a tenth of relaying a message (issue 20).
    return when.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def profile_for(caps: set[str] | frozenset[str]) -> int:
    """The tag profile for a set of enabled capabilities."""
    profile = 0
    if "server-time" in caps:
        profile |= TIME
    if "message-tags" in caps:
        profile |= MSGTAGS
    if "account-tag" in caps:
        profile |= ACCOUNT
    return profile


def filter_tags(tags: Mapping[str, str], profile: int) -> dict[str, str]:
    """The subset of ``tags`` a recipient with ``profile`` may see.

    ``time`` needs server-time, ``account`` needs account-tag, everything else
    (msgid, client-only ``+tags``) needs message-tags.
    """
    out: dict[str, str] = {}
    for key, value in tags.items():
        if key == "time":
            if profile & TIME:
                out[key] = value
        elif key == "account":
            if profile & ACCOUNT:
                out[key] = value
        elif profile & MSGTAGS:
            out[key] = value
    return out


class Outgoing:
    """One relayed message; :meth:`render` gives the bytes for a tag profile.

    A text the sender's ``nick!user@host`` pushes over 512 bytes is cut to fit
    (:func:`~chatroom.protocol.line.fit`); :attr:`line` is what is relayed.
    """

    __slots__ = ("_body", "_cache", "line")

    def __init__(self, line: Line) -> None:
        body = line.to_bytes(tags=False)
        if len(body) > MAX_BODY and line.command in FREE_TEXT:
            line = fit(line)
            body = line.to_bytes(tags=False)
        self.line = line
        self._body = body
        self._cache: dict[int, bytes] = {}

    def render(self, profile: int) -> bytes:
        """Bytes for a recipient with ``profile`` (cached)."""
        data = self._cache.get(profile)
        if data is None:
            tags = filter_tags(self.line.tags, profile) if profile else None
            data = b"@" + format_tags(tags).encode() + b" " + self._body if tags else self._body
            self._cache[profile] = data
        return data


class Segment:
    """The messages relayed to one channel in one event-loop turn, shared by its members.

    Fan-out is the hot path (issue 20): appending each message to each member's output
    costs a Python call per delivery. Instead, the first message of a turn puts one
    segment in the output of every member (:meth:`Session.queue_segment`), and the
    messages after it are only added here, once each, while the segment stays *open*.
    When the members' output is written, each member takes the segment's bytes for its
    tag profile, joined once per profile and shared; a member some message skips (its
    sender) gets its own join without those.

    The segment must close before anything could come between its messages for one of
    its members, and it does: when any member is sent anything else
    (:meth:`Session.send_bytes`, another segment), when its bytes are first rendered,
    and when the channel's membership changes (its ``epoch``, compared by the caller).
    """

    __slots__ = ("__weakref__", "_cache", "epoch", "items", "open", "skips")

    def __init__(self, epoch: int) -> None:
        self.open = True
        self.epoch = epoch
        self.items: list[tuple[Outgoing, object]] = []
        self.skips: set[object] = set()  # members some item is not for
        # profile -> (every item's bytes joined, each item's bytes)
        self._cache: dict[int, tuple[bytes, list[bytes]]] = {}

    def add(self, out: Outgoing, skip: object) -> None:
        """Add a message for every member but ``skip`` (None: for all)."""
        self.items.append((out, skip))
        if skip is not None:
            self.skips.add(skip)

    def render_for(self, member: object, profile: int) -> bytes:
        """The bytes of every message for ``member``, whose tag profile is ``profile``.
        Closes the segment: what was rendered must not grow."""
        self.open = False
        cached = self._cache.get(profile)
        if cached is None:
            parts = [out.render(profile) for out, _ in self.items]
            cached = self._cache[profile] = (b"".join(parts), parts)
        if member in self.skips:
            items = self.items
            return b"".join([part for i, part in enumerate(cached[1]) if items[i][1] is not member])
        return cached[0]


def rendered(queued: list[bytes | Segment], member: object, profile: int) -> list[bytes]:
    """A member's queued output as bytes: each segment rendered for ``member``, whose
    tag profile is ``profile`` (the segments close)."""
    return [
        item if isinstance(item, bytes) else item.render_for(member, profile) for item in queued
    ]


def joined(queued: list[bytes | Segment], member: object, profile: int) -> bytes:
    """:func:`rendered`, joined into one write. Once per member and loop turn under load,
    where the queue is most often one segment: that case makes no list."""
    if len(queued) == 1:
        item = queued[0]
        return item if isinstance(item, bytes) else item.render_for(member, profile)
    return b"".join(rendered(queued, member, profile))
