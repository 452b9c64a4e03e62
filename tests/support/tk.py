"""Helpers for driving the real Tk client in tests: pump Tk while waiting, read its widgets."""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable

from chatroom.ui.tk.app import TkChatApp
from support.timeouts import TIMEOUT

FAST_RECONNECT = (0.2, 0.4, 0.8)
"""Reconnect delays of the app under test (the ``gui`` fixture), so that tests wait little."""

GuiFactory = Callable[..., TkChatApp]
"""What the ``gui`` fixture (tests/ui/tk/conftest.py) gives: ``gui(port, nick=..., **config)``."""


def pump(root: tk.Misc, seconds: float = 0.05) -> None:
    """Let Tk run (events, after() ticks, redraws) for about ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        root.update()
        if time.monotonic() >= deadline:
            return
        time.sleep(0.005)


def pump_until(
    root: tk.Misc, condition: Callable[[], object], timeout: float = TIMEOUT, what: str = ""
) -> None:
    """Run Tk until ``condition()`` is true, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        root.update()
        time.sleep(0.005)


def conversation(app: TkChatApp) -> str:
    """Everything the conversation widget shows."""
    return app.window.conversation.get("1.0", "end-1c")


def rooms_list(app: TkChatApp) -> dict[str, tuple[str, str]]:
    """The rooms list as {buffer name: (label, badge)}."""
    tree = app.window.rooms
    return {
        name: (str(tree.item(iid, "text")), str(tree.set(iid, "badge")))
        for iid, name in app.window._row_names.items()
    }


def members_list(app: TkChatApp) -> list[str]:
    tree = app.window.members
    return [str(tree.item(iid, "text")) for iid in tree.get_children()]


def member_nicks(app: TkChatApp) -> list[str]:
    """The nicks in the members list, without status symbols."""
    return [iid.removeprefix("m:") for iid in app.window.members.get_children()]


def type_and_send(app: TkChatApp, text: str) -> None:
    """Type ``text`` into the input box and press Return, as a user would."""
    entry = app.window.input
    entry.focus_force()
    entry.insert("insert", text)
    entry.event_generate("<Return>")
    app.root.update()


# -- replies, reactions, search (chatroom.ui.tk.features) --------------------------


def ready(app: TkChatApp, other: str, room: str = "#lobby") -> None:
    pump_until(
        app.root,
        lambda: str(app.window.heading.cget("text")) == room and other in member_nicks(app),
        what=f"{room} with {other}",
    )


def line_of(app: TkChatApp, text: str) -> str:
    """The msgid of the message line showing ``text``."""
    widget = app.window.conversation
    start = widget.search(text, "1.0", "end")
    assert start, f"{text!r} is not shown"
    tags = [t for t in widget.tag_names(start) if str(t).startswith("m:")]
    assert tags, f"{text!r} has no msgid"
    return str(tags[0])[2:]


def msgid_when_shown(app: TkChatApp, text: str) -> str:
    pump_until(app.root, lambda: text in conversation(app), what=text)
    return line_of(app, text)


def chips(app: TkChatApp) -> list[str]:
    """The reaction chips on screen, as their text."""
    widget = app.window.conversation
    ranges = widget.tag_ranges("chip")
    return [widget.get(a, b).strip() for a, b in zip(ranges[::2], ranges[1::2], strict=True)]


def found_text(app: TkChatApp) -> str:
    widget = app.window.conversation
    ranges = widget.tag_ranges("found")
    return widget.get(ranges[0], ranges[1]) if ranges else ""
