"""Stand-ins for the client core and the window, for tests of the view logic."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from chatroom.client.config import ClientConfig
from chatroom.client.events import Event, ExitReason
from chatroom.client.model import BufferKind, BufferView, Member, Message, MessageKind
from chatroom.ui.tk.formatting import BufferRow, MemberRow, Segment, Status

WHEN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def view(
    name: str,
    number: int,
    kind: BufferKind | None = None,
    *,
    members: Sequence[str] = (),
    topic: str = "",
    unread: int = 0,
    mentioned: bool = False,
    joined: bool = True,
    active: bool = False,
    online: bool | None = None,
) -> BufferView:
    """A buffer snapshot; members are given as displayed ("@alice", "bob")."""
    if kind is None:
        kind = BufferKind.CHANNEL if name.startswith("#") else BufferKind.PRIVATE
    people = tuple(Member(m.lstrip("@+"), m[: len(m) - len(m.lstrip("@+"))]) for m in members)
    return BufferView(name, kind, number, topic, people, unread, mentioned, joined, active, online)


def message(
    text: str,
    sender: str | None = "bob",
    kind: MessageKind = MessageKind.MESSAGE,
    **flags: Any,
) -> Message:
    return Message(WHEN, kind, sender, text, **flags)


class FakeRunner:
    """Records what the presenter asks of the core; ``events`` feeds ``drain``."""

    def __init__(self, config: ClientConfig | None = None) -> None:
        self.config = config
        self.submitted: list[str] = []
        self.inputs: list[str] = []  # the input line, as told after each change
        self.switched: list[str] = []
        self.nicks: list[str] = []
        self.calls: list[Callable[..., object]] = []
        self.opened: list[str] = []
        self.older: list[tuple[str, int]] = []
        self.read: list[str | None] = []
        self.quits = 0
        self.started = False
        self.events: deque[Event] = deque()
        self.result: ExitReason | None = None

    def start(self) -> None:
        self.started = True

    def drain(self, limit: int = 200) -> list[Event]:
        out: list[Event] = []
        while self.events and len(out) < limit:
            out.append(self.events.popleft())
        return out

    def submit(self, text: str) -> None:
        self.submitted.append(text)

    def input_changed(self, text: str) -> None:
        self.inputs.append(text)

    def switch_to(self, target: str) -> None:
        self.switched.append(target)

    def mark_read(self, name: str | None = None) -> None:
        self.read.append(name)

    def provide_nick(self, nick: str) -> None:
        self.nicks.append(nick)

    def quit(self, reason: str | None = None) -> None:
        self.quits += 1

    def call(self, function: Callable[..., object]) -> None:
        self.calls.append(function)

    def open_private(self, nick: str) -> None:
        self.opened.append(nick)

    def fetch_older(self, buffer: str, limit: int = 50) -> None:
        self.older.append((buffer, limit))

    def join(self, timeout: float | None = None) -> bool:
        return True


class FakeView:
    """Keeps what a window would show, as plain values."""

    def __init__(self) -> None:
        self.title = ""
        self.rows: list[BufferRow] = []
        self.active: str | None = None
        self.members_heading = ""
        self.members: list[MemberRow] = []
        self.topic: tuple[str, str] = ("", "")
        self.status = Status("", "")
        self.typing = ""
        self.banner: str | None = None
        self.lines: list[list[Segment]] = []
        self.asked: list[str | None] = []
        self.buffer_draws = 0
        self.line_draws = 0
        self.prepends = 0

    def set_title(self, text: str) -> None:
        self.title = text

    def set_buffers(self, rows: Sequence[BufferRow], active: str | None) -> None:
        self.rows = list(rows)
        self.active = active
        self.buffer_draws += 1

    def set_members(self, heading: str, rows: Sequence[MemberRow]) -> None:
        self.members_heading = heading
        self.members = list(rows)

    def set_topic(self, heading: str, text: str) -> None:
        self.topic = (heading, text)

    def set_status(self, status: Status) -> None:
        self.status = status

    def set_typing(self, text: str) -> None:
        self.typing = text

    def set_banner(self, text: str | None) -> None:
        self.banner = text

    def show_lines(self, lines: Sequence[list[Segment]], *, replace: bool) -> None:
        if replace:
            self.lines = []
        self.lines += lines
        self.line_draws += 1

    def prepend_lines(self, lines: Sequence[list[Segment]]) -> None:
        self.lines[:0] = lines
        self.prepends += 1

    def ask_name(self, problem: str | None) -> None:
        self.asked.append(problem)

    @property
    def texts(self) -> list[str]:
        """Each line as plain text, tabs and newline removed."""
        return [" ".join(t for t, _ in line if t not in ("\t", "\n")) for line in self.lines]

    @property
    def bodies(self) -> list[str]:
        """The text column of each line (connection notes carry the current time)."""
        return [next(t for t, tags in line if "body" in tags) for line in self.lines]

    def row(self, key: str) -> BufferRow:
        return next(row for row in self.rows if row.key == key)
