"""Typing notifications (https://ircv3.net/specs/client-tags/typing), pure and
clock-free: the caller passes the time in.

:class:`TypingSender` turns what happens to the input line (its text changed,
it was sent) into the ``+typing`` states to send, at the spec's rate:

- ``active`` while the user changes a text that is not a /command, at most
  once every :data:`THROTTLE` seconds per target (the spec: no notification
  within 3 s of another one for a target);
- ``paused`` once, after :data:`PAUSED_AFTER` seconds without a change while
  text is left;
- ``done`` once, when the text is cleared (or becomes a /command, or the user
  moves to another buffer) without being sent; within the throttle it waits
  for :meth:`TypingSender.tick`. Sending the message needs no ``done``: the
  message itself ends typing for everyone who sees it.

:class:`TypingWatch` keeps who is typing in which buffer, from the notifications
received: someone stops typing on ``done``, on a message from them, when they
leave, 6 s after their last ``active`` or 30 s after their last ``paused``.
"""

from __future__ import annotations

from collections.abc import Sequence

from chatroom.protocol import casefold

THROTTLE = 3.0
"""Seconds between two notifications to one target (the spec's rate)."""
PAUSED_AFTER = 5.0
"""Seconds without a change, text left in the input line, before ``paused``."""
ACTIVE_FOR = 6.0
"""Seconds someone counts as typing after their last ``active`` (the spec)."""
PAUSED_FOR = 30.0
"""Seconds someone counts as typing after their last ``paused`` (the spec)."""
STATES = ("active", "paused", "done")

Notification = tuple[str, str]
"""(target, state): one ``@+typing=<state> TAGMSG <target>`` to send."""


def is_typing_text(text: str) -> bool:
    """Whether ``text`` in the input line counts as typing a message: not empty,
    not blank and not a /command (``//text`` sends ``/text``: a message)."""
    if not text.strip():
        return False
    return not text.startswith("/") or text.startswith("//")


class TypingSender:
    """Our user's typing, one input line at a time, as notifications to send."""

    def __init__(self) -> None:
        self._target: str | None = None  # where the user types, while typing
        self._state = "done"  # the last state told to ``_target``
        self._typed_at = 0.0  # the last change of the text
        self._sent_at: dict[str, float] = {}  # folded target -> last notification
        self._pending: Notification | None = None  # a done held by the throttle

    def text_changed(self, target: str | None, text: str, now: float) -> list[Notification]:
        """The input line reads ``text`` and sends to ``target`` (None: a buffer
        that is no conversation, as the server's). Returns what to send now."""
        out: list[Notification] = []
        if self._target is not None and (
            target is None or casefold(target) != casefold(self._target)
        ):
            out += self._stop(now)
        if target is None or not is_typing_text(text):
            out += self._stop(now)
            return out
        self._target, self._typed_at = target, now
        if self._pending is not None and casefold(self._pending[0]) == casefold(target):
            self._pending = None
        sent = self._send(target, "active", now)
        if sent:
            self._state = "active"
        return out + sent

    def message_sent(self, target: str) -> None:
        """The user sent a message to ``target``: their typing there has ended
        for everyone, with nothing more to send."""
        if self._target is not None and casefold(self._target) == casefold(target):
            self._target, self._state = None, "done"
        if self._pending is not None and casefold(self._pending[0]) == casefold(target):
            self._pending = None

    def tick(self, now: float) -> list[Notification]:
        """Time passed (call it every second or so): a ``done`` the throttle held
        back, or ``paused`` after a while without typing."""
        out: list[Notification] = []
        pending = self._pending
        if pending is not None and self._may_send(pending[0], now):
            self._pending = None
            out += self._send(*pending, now)
        target = self._target
        if (
            target is not None
            and self._state == "active"
            and now - self._typed_at >= PAUSED_AFTER
            and self._may_send(target, now)
        ):
            out += self._send(target, "paused", now)
            self._state = "paused"
        return out

    def _stop(self, now: float) -> list[Notification]:
        """The user stopped typing in ``_target`` without sending: ``done`` now,
        or when the throttle allows."""
        target, self._target = self._target, None
        if target is None or self._state == "done":
            return []
        self._state = "done"
        if self._may_send(target, now):
            return self._send(target, "done", now)
        self._pending = (target, "done")
        return []

    def _may_send(self, target: str, now: float) -> bool:
        return now - self._sent_at.get(casefold(target), -THROTTLE) >= THROTTLE

    def _send(self, target: str, state: str, now: float) -> list[Notification]:
        if not self._may_send(target, now):
            return []
        self._sent_at[casefold(target)] = now
        if len(self._sent_at) > 64:  # only the throttle reads them: old ones are moot
            for key in [k for k, t in self._sent_at.items() if now - t >= THROTTLE]:
                del self._sent_at[key]
        return [(target, state)]


class TypingWatch:
    """Who is typing, per buffer (by folded name), from the notifications received."""

    def __init__(self) -> None:
        self._typing: dict[str, dict[str, tuple[str, str, float]]] = {}

    def received(self, buffer: str, nick: str, state: str, now: float) -> bool:
        """``nick`` sent ``+typing=state`` to ``buffer`` at ``now``; True if who is
        typing there changed. Values the spec does not define are ignored."""
        if state not in STATES:
            return False
        if state == "done":
            return self.stopped(buffer, nick)
        typers = self._typing.setdefault(casefold(buffer), {})
        before = casefold(nick) in typers
        typers[casefold(nick)] = (nick, state, now)
        return not before

    def stopped(self, buffer: str, nick: str) -> bool:
        """``nick`` no longer types in ``buffer`` (a message, done, parted); True
        if they were."""
        typers = self._typing.get(casefold(buffer))
        if typers is None or typers.pop(casefold(nick), None) is None:
            return False
        if not typers:
            del self._typing[casefold(buffer)]
        return True

    def stopped_everywhere(self, nick: str) -> list[str]:
        """``nick`` quit: the folded buffers where they were typing."""
        return [buffer for buffer in list(self._typing) if self.stopped(buffer, nick)]

    def expire(self, now: float) -> list[str]:
        """Forget who stopped without saying so; the folded buffers that changed."""
        changed: list[str] = []
        for buffer, typers in list(self._typing.items()):
            for key, (_, state, at) in list(typers.items()):
                if now - at >= (ACTIVE_FOR if state == "active" else PAUSED_FOR):
                    del typers[key]
                    if buffer not in changed:
                        changed.append(buffer)
            if not typers:
                del self._typing[buffer]
        return changed

    def stopped_all(self) -> list[str]:
        """Forget everyone (the connection ended); the folded buffers that changed."""
        changed = list(self._typing)
        self._typing.clear()
        return changed

    def typing(self, buffer: str) -> tuple[str, ...]:
        """The nicks typing in ``buffer``, in the order they started."""
        return tuple(nick for nick, _, _ in self._typing.get(casefold(buffer), {}).values())


def typing_text(nicks: Sequence[str]) -> str:
    """The line a UI shows: "alice is typing…", "alice and bob are typing…",
    "3 people are typing…", or "" when nobody is."""
    if not nicks:
        return ""
    if len(nicks) == 1:
        return f"{nicks[0]} is typing…"
    if len(nicks) == 2:
        return f"{nicks[0]} and {nicks[1]} are typing…"
    return f"{len(nicks)} people are typing…"
