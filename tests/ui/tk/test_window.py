"""The main window on a real Tk (under Xvfb), fed by a fake core: input keys,
drawing, the scrollback cap, and staying responsive under a flood."""

from __future__ import annotations

import time
import tkinter as tk
from pathlib import Path

from chatroom.client.config import ClientConfig
from chatroom.client.events import (
    ActiveBufferChanged,
    BufferChanged,
    Event,
    MessageAdded,
    Registered,
)
from chatroom.client.model import SERVER_BUFFER, BufferKind
from chatroom.ui.tk.app import BATCH, TkChatApp
from chatroom.ui.tk.window import MAX_LINES
from support.tk import GuiFactory, conversation, members_list, pump, pump_until, rooms_list
from support.tk_fakes import FakeRunner, message, view
from support.xvfb import Xvfb, capture_png


def fake_app(gui: GuiFactory) -> tuple[TkChatApp, FakeRunner]:
    runners: list[FakeRunner] = []

    def factory(config: ClientConfig) -> FakeRunner:
        runners.append(FakeRunner(config))
        return runners[-1]

    app = gui(1060, runner_factory=factory)
    runner = runners[0]
    lobby = view("#lobby", 2, members=["@carol", "alice", "bob", "bobby"], active=True)
    runner.events.extend(
        [
            Registered("alice", False),
            BufferChanged(view(SERVER_BUFFER, 1, BufferKind.SERVER)),
            ActiveBufferChanged(lobby, (message("welcome back"),)),
            BufferChanged(view("#dev", 3, unread=2)),
        ]
    )
    pump_until(app.root, lambda: "welcome back" in conversation(app), what="backlog")
    return app, runner


def press(widget: tk.Widget, key: str) -> None:
    widget.focus_force()
    widget.event_generate(key)
    widget.update()


def test_the_window_shows_rooms_people_topic_and_title(gui: GuiFactory) -> None:
    app, _runner = fake_app(gui)
    assert rooms_list(app) == {
        SERVER_BUFFER: ("Server", ""),
        "#lobby": ("#lobby", ""),
        "#dev": ("#dev", "2"),
    }
    assert members_list(app) == ["@carol", "alice", "bob", "bobby"]
    assert app.root.title() == "Chatroom — #lobby (2 unread)"
    assert app.window.heading.cget("text") == "#lobby"
    assert "No topic yet" in app.window.topic.cget("text")
    assert app.window.input.get("1.0", "end-1c") == ""  # empty and ready, as in the tutorial


def test_enter_sends_shift_enter_adds_a_line_and_up_recalls(gui: GuiFactory) -> None:
    app, runner = fake_app(gui)
    entry = app.window.input
    entry.insert("end", "first")
    press(entry, "<Shift-Return>")
    entry.insert("end", "second")
    assert int(entry.cget("height")) == 2  # the box grows with its text
    press(entry, "<Return>")
    assert runner.submitted == ["first\nsecond"]  # one message (draft/multiline where offered)
    assert entry.get("1.0", "end-1c") == ""
    assert int(entry.cget("height")) == 1
    app.window.send_button.invoke()  # nothing typed: nothing sent
    assert runner.submitted == ["first\nsecond"]
    press(entry, "<Up>")
    assert entry.get("1.0", "end-1c") == "first\nsecond"
    press(entry, "<Down>")
    assert entry.get("1.0", "end-1c") == ""


def test_tab_completes_nicks_and_cycles(gui: GuiFactory) -> None:
    app, _runner = fake_app(gui)
    entry = app.window.input
    entry.insert("end", "bo")
    press(entry, "<Tab>")
    assert entry.get("1.0", "end-1c") == "bob: "
    press(entry, "<Tab>")
    assert entry.get("1.0", "end-1c") == "bobby: "


def test_unicode_and_emoji_survive_the_round_trip(gui: GuiFactory) -> None:
    app, runner = fake_app(gui)
    text = "Grüße 👋 — 你好 ☕"
    runner.events.append(MessageAdded("#lobby", message(text), True))
    pump_until(app.root, lambda: text in conversation(app), what="unicode line")
    app.window.input.insert("end", text)
    press(app.window.input, "<Return>")
    assert runner.submitted == [text]


def test_a_flood_is_drawn_in_batches_and_the_scrollback_is_capped(gui: GuiFactory) -> None:
    app, runner = fake_app(gui)
    total = 4000
    runner.events.extend(
        MessageAdded("#lobby", message(f"flood line {i}"), True) for i in range(total)
    )
    drained: list[int] = []
    real_drain = runner.drain

    def counting_drain(limit: int = 200) -> list[Event]:
        events = real_drain(limit)
        drained.append(len(events))
        return events

    runner.drain = counting_drain  # type: ignore[method-assign]
    slowest = 0.0
    deadline = time.monotonic() + 30
    while runner.events and time.monotonic() < deadline:
        started = time.monotonic()
        app.root.update()
        slowest = max(slowest, time.monotonic() - started)
    pump(app.root, 0.1)
    assert not runner.events
    assert f"flood line {total - 1}" in conversation(app)
    lines = int(app.window.conversation.index("end-1c").split(".")[0])
    assert lines <= MAX_LINES + 1
    assert "flood line 0\n" not in conversation(app)
    # Each tick took at most one batch, and Tk got control back in between:
    # no single update froze the window.
    assert max(drained) <= BATCH
    assert len([n for n in drained if n]) >= total // BATCH
    assert slowest < 1.0, f"one update took {slowest:.2f} s"


def test_reading_older_lines_is_not_interrupted_by_new_ones(gui: GuiFactory) -> None:
    app, runner = fake_app(gui)
    runner.events.extend(MessageAdded("#lobby", message(f"line {i}"), True) for i in range(100))
    pump_until(app.root, lambda: "line 99" in conversation(app))
    pump(app.root, 0.1)
    assert app.window.conversation.yview()[1] == 1.0  # followed the newest
    app.window.conversation.yview_moveto(0)
    pump(app.root, 0.1)
    runner.events.append(MessageAdded("#lobby", message("newest"), True))
    pump_until(app.root, lambda: "newest" in conversation(app))
    pump(app.root, 0.1)
    assert app.window.conversation.yview()[0] == 0.0  # still where the user was


def test_the_plus_button_asks_for_a_room(gui: GuiFactory) -> None:
    app, runner = fake_app(gui)
    app.window.join_button.invoke()
    dialog = app.window.dialog
    assert dialog is not None
    dialog.answer.set("two words")
    dialog.ok_button.invoke()
    assert "spaces" in str(dialog.error.cget("text"))
    dialog.answer.set("random")
    dialog.ok_button.invoke()
    assert runner.submitted == ["/join #random"]
    assert not dialog.winfo_exists()


def test_a_screenshot_can_be_taken(gui: GuiFactory, xvfb: Xvfb, tmp_path: Path) -> None:
    app, _runner = fake_app(gui)
    pump(app.root, 0.2)
    path = tmp_path / "shot.png"
    capture_png(xvfb.display, path, (0, 0, 200, 100))
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_alt_number_switches_buffers(gui: GuiFactory) -> None:
    app, runner = fake_app(gui)
    press(app.window.input, "<Alt-Key-3>")
    assert runner.switched == ["3"]
    assert app.window.input.get("1.0", "end-1c") == ""
