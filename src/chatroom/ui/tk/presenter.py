"""The Tk client's view logic: what the window shows for each event of the core,
and what each user action asks of the core. Plain Python, no tkinter: tests
drive it with fake views and runners, without a display.

Shape (IDLE's and Thonny's): the window (:mod:`chatroom.ui.tk.window`) only
draws what the :class:`Presenter` tells it through the :class:`ChatView`
protocol, and forwards clicks and keys to it. The presenter holds no chat state
of its own: the client core's model is the truth, and what the presenter keeps
is the latest *snapshot* of each buffer the core sent (``BufferView``), because
the core's model lives on another thread and must not be read from Tk's.

Events arrive in batches (one ``after()`` tick drains up to a few hundred). A
batch is applied to plain state first and drawn once at the end, so a flood of
events costs one list redraw and one text insert per tick, not one per event.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo

from chatroom.client import casefold, is_channel_name
from chatroom.client.commands import is_secret
from chatroom.client.completion import complete_word
from chatroom.client.events import (
    ActiveBufferChanged,
    BufferChanged,
    BufferClosed,
    BufferRenamed,
    CertificateChanged,
    Connected,
    ConnectFailed,
    Connecting,
    ConnectionLost,
    Event,
    ExitReason,
    HistoryLoaded,
    MessageAdded,
    MessageDeleted,
    NickRequired,
    NickTaken,
    OlderMessages,
    OwnNickChanged,
    Ready,
    Registered,
    Stopped,
    TypingChanged,
)
from chatroom.client.history import InputHistory
from chatroom.client.model import BufferKind, BufferView, Message, now_utc
from chatroom.client.typing_notify import typing_text
from chatroom.ui.tk.formatting import (
    ALL_SET,
    CONNECTED,
    COULD_NOT_CONNECT,
    LOST,
    TRYING,
    WELCOME,
    Segment,
    Status,
    buffer_rows,
    connected_status,
    member_rows,
    members_heading,
    message_line,
    new_messages_line,
    note,
    reconnect_status,
    seconds,
    title_text,
    topic_texts,
)
from chatroom.ui.tk.ports import ChatView, Runner
from chatroom.ui.tk.tabcomplete import TabCompleter

NOTES_KEPT = 100
"""Connection news lines kept for the server buffer's view."""


OLDER_PAGE = 100
"""Messages asked for each time the user scrolls to the top."""

START_OF_HISTORY = "Start of the conversation's history"


class Presenter:
    """Turns the core's events into calls on a :class:`ChatView`, and the user's
    actions into calls on a :class:`Runner`. Use from the Tk thread only.

    ``clock`` (monotonic seconds) and ``tz`` are injectable for tests.
    """

    def __init__(
        self,
        view: ChatView,
        runner: Runner,
        host: str,
        port: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        tz: tzinfo | None = None,
    ) -> None:
        self.view = view
        self.runner = runner
        self.host = host
        self.port = port
        self.clock = clock
        self.tz = tz
        self.views: dict[str, BufferView] = {}  # casefolded name -> latest snapshot
        self.active: str | None = None  # casefolded name of the buffer shown
        self.nick: str | None = None
        self.stopped: ExitReason | None = None
        self.history = InputHistory()
        self.completer = TabCompleter(self._candidates)
        self.status = Status(TRYING.format(host=host, port=port), "busy")
        self._reconnect_at: float | None = None
        self._ever_ready = False
        self._notes: deque[Message] = deque(maxlen=NOTES_KEPT)
        # Older history: buffers (casefolded) with a request on its way, and
        # those whose history has been read back to its start.
        self._older_pending: set[str] = set()
        self._history_complete: set[str] = set()
        # What one batch changed, drawn once by _flush().
        self._lines: list[list[Segment]] = []
        self._replace = False
        self._older: list[list[Segment]] = []
        self._dirty: set[str] = set()
        self._typing: dict[str, tuple[str, ...]] = {}  # casefolded buffer -> who types
        self._input = ""  # the input line as last told to the core
        # The window has the focus; the buffer shown got lines to report as read.
        self.focused = True
        self._read = False
        view.set_status(self.status)
        view.set_title(title_text(None, ()))
        view.set_topic(*topic_texts(None))

    # -- events from the core ------------------------------------------------------

    def handle(self, events: Iterable[Event]) -> None:
        """Apply a batch of events, in order, then redraw what they changed."""
        for event in events:
            self._apply(event)
        self._flush()
        if self._read and self.focused:
            self.runner.mark_read()  # read-marker: on screen and focused is read
        self._read = False

    def focus_changed(self, focused: bool) -> None:
        """The window gained or lost the keyboard focus; what it shows is read once
        it has it again."""
        self.focused = focused
        if focused and self.active is not None:
            self.runner.mark_read()

    def _apply(self, event: Event) -> None:
        if isinstance(event, MessageAdded):
            # The most frequent event first: a flood is mostly these.
            if event.active and casefold(event.buffer) == self.active:
                self._lines.append(message_line(event.message, self.tz))
                self._read = self._read or not event.message.own
        elif isinstance(event, BufferChanged):
            self._buffer_changed(event.buffer)
        elif isinstance(event, ActiveBufferChanged):
            self._buffer_changed(event.buffer)
            self.active = casefold(event.buffer.name)
            backlog: Sequence[Message] = event.backlog
            if event.buffer.kind is BufferKind.SERVER:
                backlog = sorted([*backlog, *self._notes], key=lambda m: m.time)
            self._lines = [message_line(m, self.tz) for m in backlog]
            if event.new_from is not None and event.buffer.kind is not BufferKind.SERVER:
                self._lines.insert(event.new_from, new_messages_line())
            self._read = True
            if self.active in self._history_complete and event.buffer.kind is not BufferKind.SERVER:
                when = backlog[0].time if backlog else now_utc()
                self._lines.insert(0, message_line(note(START_OF_HISTORY, when), self.tz))
            self._replace = True
            self._older = []
            self._dirty.update(("rows", "members", "topic", "title", "typing"))
        elif isinstance(event, BufferClosed):
            self._buffer_closed(event.name)
        elif isinstance(event, HistoryLoaded | MessageDeleted):
            if event.active and casefold(event.buffer) == self.active:
                # History goes above lines already shown, or one of them changed
                # (deleted): redraw the buffer.
                self._lines = [message_line(m, self.tz) for m in event.backlog]
                self._replace = True
        elif isinstance(event, OlderMessages):
            self._older_messages(event)
        elif isinstance(event, BufferRenamed):
            self._buffer_renamed(event.old, event.new)
        elif isinstance(event, TypingChanged):
            self._typing[casefold(event.buffer)] = event.nicks
            self._dirty.add("typing")
        else:
            self._connection_event(event)

    def _buffer_changed(self, view: BufferView) -> None:
        key = casefold(view.name)
        self.views[key] = view
        if view.active:
            self.active = key
        self._dirty.update(("rows", "title"))
        if key == self.active:
            self._dirty.update(("members", "topic"))

    def _buffer_renamed(self, old: str, new: str) -> None:
        """A private chat follows its person's new nick (a BufferChanged under
        the new name follows with the rest)."""
        old_key, new_key = casefold(old), casefold(new)
        renamed = self.views.pop(old_key, None)
        if renamed is not None:
            self.views[new_key] = dataclasses.replace(renamed, name=new)
        for keys in (self._older_pending, self._history_complete):
            if old_key in keys:
                keys.discard(old_key)
                keys.add(new_key)
        if self.active == old_key:
            self.active = new_key
        self._dirty.update(("rows", "title", "topic"))

    def _older_messages(self, event: OlderMessages) -> None:
        key = casefold(event.buffer)
        self._older_pending.discard(key)
        if event.complete:
            self._history_complete.add(key)
        if key != self.active:
            return  # shown from the core's backlog when the user comes back
        older = [message_line(m, self.tz) for m in event.messages]
        if event.complete:
            older.insert(0, message_line(note(START_OF_HISTORY, _first_time(event)), self.tz))
        self._older = older + self._older

    def _buffer_closed(self, name: str) -> None:
        self._older_pending.discard(casefold(name))
        self._history_complete.discard(casefold(name))
        closed = self.views.pop(casefold(name), None)
        if closed is None:
            return
        # Mirror the core's renumbering, so numbers keep identifying buffers.
        for key, view in list(self.views.items()):
            if view.number > closed.number:
                self.views[key] = dataclasses.replace(view, number=view.number - 1)
        self._dirty.update(("rows", "title", "members", "topic"))

    def _connection_event(self, event: Event) -> None:
        host, port = self.host, self.port
        if isinstance(event, Connecting):
            self._reconnect_at = None
            if event.attempt == 0:
                self._note(TRYING.format(host=host, port=port), shown=True)
                self._set_status(Status(TRYING.format(host=host, port=port), "busy"))
            else:
                self._note(TRYING.format(host=host, port=port))
                self._set_status(reconnect_status(None))
        elif isinstance(event, Connected):
            self._note(CONNECTED.format(host=host, port=port), shown=not self._ever_ready)
            self._set_status(Status(f"Connected to {host}:{port}, signing in…", "busy"))
        elif isinstance(event, ConnectFailed):
            text = COULD_NOT_CONNECT.format(host=host, port=port, reason=event.reason)
            if event.fatal or event.retry_in is None:
                self._note(text, error=True, shown=True)
                self._set_status(Status(text, "down"))
            else:
                self._note(f"{text}; trying again in {seconds(event.retry_in)}", error=True)
                self._reconnect_at = self.clock() + event.retry_in
                self._set_status(reconnect_status(event.retry_in))
        elif isinstance(event, NickTaken):
            text = f"The name {event.nick} is taken; trying {event.trying} instead."
            self._note(text, shown=True)
        elif isinstance(event, NickRequired):
            if event.problem:
                self._note(event.problem, error=True, shown=True)
            self.view.ask_name(event.problem)
        elif isinstance(event, Registered):
            self.nick = event.nick
            if event.reconnected:
                self._note(f"Reconnected. Welcome back, {event.nick}!", shown=True)
            else:
                self._note(WELCOME.format(nick=event.nick), shown=True)
            self.view.set_banner(None)
            self._set_status(connected_status(host, port, event.nick))
        elif isinstance(event, Ready):
            if not self._ever_ready:
                self._ever_ready = True
                self._note(ALL_SET, shown=True)
            elif event.rooms:
                self._note(f"Back in {', '.join(event.rooms)}.", shown=True)
        elif isinstance(event, OwnNickChanged):
            self.nick = event.nick
            self._set_status(connected_status(host, port, event.nick))
            self._dirty.add("members")
        elif isinstance(event, ConnectionLost):
            self._connection_lost(event)
        elif isinstance(event, CertificateChanged):
            self._certificate_changed(event)
        elif isinstance(event, Stopped):
            self.stopped = event.reason
            self._reconnect_at = None
            if event.reason is ExitReason.CERTIFICATE:
                if self.status.state != "down":
                    self._note(f"Not connected: {event.detail}.", error=True, shown=True)
                    self._set_status(Status(f"Not connected: {event.detail}", "down"))
            elif event.reason is ExitReason.REJECTED:
                text = f"The server refused the connection: {event.detail or 'no reason given'}"
                self._note(text, error=True, shown=True)
                self._set_status(Status(text, "down"))
            elif self.status.state != "down":
                self._set_status(Status("Disconnected", "down"))

    def _certificate_changed(self, event: CertificateChanged) -> None:
        """Loud: a remembered certificate changed, so the client will not connect."""
        where = f"{event.host}:{event.port}"
        self.view.set_banner(f"The certificate of {where} has changed: not connecting!")
        for text in (
            f"WARNING: the certificate of {where} has changed!",
            "Someone could be intercepting your connection, or the server's operator "
            "replaced its certificate.",
            f"Remembered fingerprint: {event.expected}",
            f"Presented fingerprint: {event.fingerprint}",
            "Not connecting. If the operator confirms the change, delete the entry for "
            f"{where} in {event.known_file or 'the known servers file'} and connect again.",
        ):
            self._note(text, error=True, shown=True)
        self._set_status(Status(f"Not connected: the certificate of {where} changed", "down"))

    def _connection_lost(self, event: ConnectionLost) -> None:
        self._note(LOST, error=True, shown=True)
        why = f"({event.reason}) " if event.reason else ""
        self.view.set_banner(LOST)
        if event.reconnect_in is None:
            self._note(f"{why}Not reconnecting.", shown=True)
            self._set_status(Status("Disconnected", "down"))
        else:
            self._note(f"{why}Reconnecting in {seconds(event.reconnect_in)}...", shown=True)
            self._reconnect_at = self.clock() + event.reconnect_in
            self._set_status(reconnect_status(event.reconnect_in))

    def _note(self, text: str, error: bool = False, shown: bool = False) -> None:
        """Connection news: kept for the server buffer, and appended to the
        conversation on screen when ``shown`` (the news the user must see)."""
        message = note(text, now_utc(), error=error)
        self._notes.append(message)
        active = self.views.get(self.active or "")
        if shown or active is None or active.kind is BufferKind.SERVER:
            self._lines.append(message_line(message, self.tz))

    def _set_status(self, status: Status) -> None:
        if status != self.status:
            self.status = status
            self.view.set_status(status)

    def tick(self) -> None:
        """Called about every second: counts down "Reconnecting in N s…"."""
        if self._reconnect_at is not None:
            self._set_status(reconnect_status(self._reconnect_at - self.clock()))

    def _flush(self) -> None:
        view, dirty = self.view, self._dirty
        active = self.views.get(self.active or "")
        if "rows" in dirty:
            ordered = sorted(self.views.values(), key=lambda v: v.number)
            view.set_buffers(buffer_rows(ordered), active.name if active else None)
        if "title" in dirty:
            view.set_title(title_text(active, self.views.values()))
        if "topic" in dirty:
            view.set_topic(*topic_texts(active))
        if "members" in dirty:
            view.set_members(members_heading(active), member_rows(active, self.nick))
        if "typing" in dirty:
            view.set_typing(typing_text(self._typing.get(self.active or "", ())))
        if self._older and not self._replace:
            view.prepend_lines(self._older)
        if self._lines or self._replace:
            view.show_lines(self._lines, replace=self._replace)
        self._lines = []
        self._older = []
        self._replace = False
        dirty.clear()

    # -- what the user does --------------------------------------------------------

    @property
    def active_view(self) -> BufferView | None:
        return self.views.get(self.active or "")

    def send(self, text: str) -> bool:
        """Send what the user typed. Several lines of text (a paste, or Shift+Enter)
        are one message: the core sends it as one multiline message where the server
        takes them, else line by line. Lines with a command (``/join``) are submitted
        each on its own. Returns whether anything was sent, i.e. whether to clear
        the input."""
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            return False
        if not any(is_secret(line) for line in lines):  # never recall a password
            self.history.add(text.strip("\n"))
        self.completer.reset()
        if len(lines) > 1 and not any(line.startswith("/") for line in lines):
            self.runner.submit(text.strip("\r\n"))
            return True
        for line in lines:
            self.runner.submit(line)
        return True

    def input_changed(self, text: str) -> None:
        """The input line reads ``text`` (after each key): the core sends typing
        notifications from it. Keys that change nothing are not passed on."""
        if text != self._input:
            self._input = text
            self.runner.input_changed(text)

    def select(self, name: str) -> None:
        """Show another buffer (a click in the rooms list)."""
        if casefold(name) != self.active:
            self.runner.switch_to(name)

    def switch_number(self, number: int) -> None:
        """Alt+number: show the buffer with that number (1 is the server's)."""
        self.runner.switch_to(str(number))

    def open_private(self, nick: str) -> None:
        """Open (or show) the private chat with ``nick`` (a double-click on a person)."""
        if self.nick is not None and casefold(nick) == casefold(self.nick):
            return
        self.runner.open_private(nick)

    def join(self, room: str) -> str | None:
        """Join ``room`` ("#dev" or "dev"); returns a problem to show instead, if any."""
        room = room.strip()
        if not room:
            return "Please type the name of a room."
        if not is_channel_name(room):
            room = "#" + room
        if any(c in room for c in " ,\x07") or len(room) > 64:
            return "A room name cannot contain spaces or commas, and has at most 64 characters."
        self.runner.submit(f"/join {room}")
        return None

    def close_buffer(self, name: str) -> None:
        """Leave a room and close it, or close a private chat."""
        self.runner.submit(f"/close {name}")

    def provide_nick(self, nick: str) -> None:
        self.runner.provide_nick(nick)

    def quit(self) -> None:
        self.runner.quit()

    def load_older(self) -> None:
        """The user scrolled to the top of the conversation: fetch older messages
        (:data:`OLDER_PAGE` at a time). Nothing is asked while a request is on
        its way, once the start of the history was reached, or for the server
        buffer. The answer comes back as an ``OlderMessages`` event; a server
        without history sends none, and nothing happens."""
        active = self.active_view
        if active is None or active.kind is BufferKind.SERVER:
            return
        key = casefold(active.name)
        if key in self._older_pending or key in self._history_complete:
            return
        self._older_pending.add(key)
        self.runner.fetch_older(active.name, OLDER_PAGE)

    def complete(self, text: str, cursor: int) -> tuple[str, int] | None:
        """Tab in the input line: the new text and cursor, or ``None``."""
        return self.completer.complete(text, cursor)

    def _candidates(self, word: str, first: bool) -> list[str]:
        return complete_word(
            word,
            first=first,
            active=self.active_view,
            buffers=self.views.values(),
            own_nick=self.nick,
        )

    def history_previous(self, current: str) -> str | None:
        return self.history.previous(current)

    def history_next(self) -> str | None:
        return self.history.next()


def _first_time(event: OlderMessages) -> datetime:
    """When the start-of-history note is dated: just before the oldest message."""
    return event.messages[0].time if event.messages else now_utc()
