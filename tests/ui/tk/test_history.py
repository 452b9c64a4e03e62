"""History in the real Tk window (Xvfb) against a real server: the room's
recent conversation on join, muted, and older pages when scrolling to the top."""

from __future__ import annotations

from support.irc_client import IrcClient
from support.server import RunningServer
from support.tk import GuiFactory, conversation, pump, pump_until


def say(port: int, count: int) -> None:
    bob = IrcClient(port).register("bob")
    bob.join("#lobby")
    for n in range(count):
        bob.send(f"PRIVMSG #lobby :old line {n}")
    bob.send("PING stored")  # answered once the messages are stored
    bob.expect("PONG")
    bob.close()


def history_lines_shown(app_text: str) -> list[str]:
    return [line for line in app_text.splitlines() if "old line" in line]


def test_history_on_join_then_scrolling_up_fetches_older(
    server: RunningServer, gui: GuiFactory
) -> None:
    say(server.port, 100)
    app = gui(server.port, history_lines=40)
    pump_until(app.root, lambda: "old line 99" in conversation(app), what="history on join")
    shown = history_lines_shown(conversation(app))
    # Exactly 40: with draft/event-playback (asked for the reactions) the joins and
    # quits the server replays ride along without taking messages' places.
    numbers = [int(line.rsplit(" ", 1)[-1]) for line in shown]
    assert numbers == list(range(60, 100))
    text = app.window.conversation
    first = text.search(f"old line {numbers[0]}", "1.0")
    assert "history" in text.tag_names(first)  # drawn muted
    assert text.index("end-1c").split(".")[0] != "1"

    pump(app.root, 0.1)
    text.yview_moveto(0.0)  # the user scrolls to the top
    pump_until(app.root, lambda: "old line 0\n" in conversation(app), what="older history")
    shown = history_lines_shown(conversation(app))
    assert [line.rsplit(" ", 1)[-1] for line in shown] == [str(n) for n in range(100)]
    assert conversation(app).find("Start of the conversation's history") < conversation(app).find(
        "old line 0"
    )
    # The view stayed where the user was reading, not at the very top.
    assert text.yview()[0] > 0.0
