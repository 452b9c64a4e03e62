"""The desktop client against a real server, with an independent IRC client
(irctokens) on the other side: chat both ways, rooms, private chat, losing and
regaining the server, a flood, and leaving."""

from __future__ import annotations

import signal
import time

from chatroom.client.model import BufferKind
from chatroom.ui.tk.app import TkChatApp
from chatroom.ui.tk.formatting import LOST
from chatroom.ui.tk.window import MAX_LINES
from support.irc_client import IrcClient
from support.server import RunningServer, ServerFactory
from support.tk import (
    GuiFactory,
    conversation,
    member_nicks,
    pump,
    pump_until,
    rooms_list,
    type_and_send,
)


def joined(app: TkChatApp, room: str) -> bool:
    presenter = app.presenter
    view = presenter.views.get(room) if presenter is not None else None
    return view is not None and view.joined


def showing(app: TkChatApp, name: str) -> bool:
    return str(app.window.heading.cget("text")) == name


def test_chat_both_ways_with_an_independent_client(server: RunningServer, gui: GuiFactory) -> None:
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    app = gui(server.port)
    pump_until(app.root, lambda: showing(app, "#lobby") and "bob" in member_nicks(app))
    assert app.root.title() == "Chatroom — #lobby"
    assert app.window.input.get("1.0", "end-1c") == ""

    type_and_send(app, "hello from Tk 👋 Grüße")
    line = bob.expect("PRIVMSG")
    assert line.params == ["#lobby", "hello from Tk 👋 Grüße"]
    assert line.source is not None and line.source.startswith("alice!")
    assert app.window.input.get("1.0", "end-1c") == ""
    pump_until(app.root, lambda: "hello from Tk 👋 Grüße" in conversation(app))
    assert app.window.conversation.tag_ranges("own")  # shown as your own

    bob.send("PRIVMSG #lobby :hi alice, welcome ☕")
    pump_until(app.root, lambda: "hi alice, welcome ☕" in conversation(app))
    assert app.window.conversation.tag_ranges("mention")  # it names you
    bob.close()


def test_switch_rooms_with_unread_counts(server: RunningServer, gui: GuiFactory) -> None:
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    bob.join("#dev")
    app = gui(server.port, rooms=("#lobby", "#dev"))
    pump_until(app.root, lambda: joined(app, "#dev") and showing(app, "#lobby"))
    bob.send("PRIVMSG #dev :build is green")
    pump_until(app.root, lambda: rooms_list(app).get("#dev", ("", ""))[1] == "1", what="badge")
    assert app.root.title() == "Chatroom — #lobby (1 unread)"
    assert "build is green" not in conversation(app)

    app.window.rooms.selection_set("b:#dev")  # a click in the rooms list
    pump_until(app.root, lambda: showing(app, "#dev"), what="switch to #dev")
    pump_until(app.root, lambda: "build is green" in conversation(app))
    pump_until(app.root, lambda: rooms_list(app)["#dev"][1] == "")
    assert app.root.title() == "Chatroom — #dev"
    type_and_send(app, "nice")
    assert bob.expect("PRIVMSG").params == ["#dev", "nice"]

    # The "+" button joins a new room.
    app.window.join_button.invoke()
    dialog = app.window.dialog
    assert dialog is not None
    dialog.answer.set("random")
    dialog.ok_button.invoke()
    pump_until(app.root, lambda: showing(app, "#random") and joined(app, "#random"))
    assert "#random" in rooms_list(app)
    bob.close()


def test_private_chat_from_the_members_list(server: RunningServer, gui: GuiFactory) -> None:
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    app = gui(server.port)
    pump_until(app.root, lambda: "bob" in member_nicks(app))
    tree = app.window.members
    tree.selection_set("m:bob")
    pump(app.root, 0.05)
    box = tree.bbox("m:bob")
    assert isinstance(box, tuple)  # the row is on screen
    x, y, _w, h = box
    for _ in range(2):  # a double click (Tk cannot generate "Double" directly)
        tree.event_generate("<ButtonPress-1>", x=x + 10, y=y + h // 2)
        tree.event_generate("<ButtonRelease-1>", x=x + 10, y=y + h // 2)
    pump_until(app.root, lambda: showing(app, "bob"), what="private chat with bob")
    assert app.presenter is not None and app.presenter.views["bob"].kind is BufferKind.PRIVATE
    assert "bob" in rooms_list(app)
    type_and_send(app, "psst")
    assert bob.expect("PRIVMSG").params == ["bob", "psst"]
    bob.send("PRIVMSG alice :back at you")
    pump_until(app.root, lambda: "back at you" in conversation(app))
    bob.close()


def test_losing_the_server_and_getting_it_back(
    server_factory: ServerFactory, gui: GuiFactory
) -> None:
    server = server_factory("--no-flood-control")
    app = gui(server.port)
    pump_until(app.root, lambda: joined(app, "#lobby"))
    assert app.window.status.cget("text").startswith("Connected to")
    server.stop(signal.SIGTERM)
    pump_until(app.root, lambda: app.window.banner.winfo_manager() != "", what="banner")
    assert app.window.banner.cget("text") == LOST
    assert LOST in conversation(app)
    pump_until(app.root, lambda: "Reconnecting" in str(app.window.status.cget("text")))

    again = server_factory("--no-flood-control", port=server.port)
    pump_until(app.root, lambda: joined(app, "#lobby"), what="rejoined after restart")
    assert app.window.banner.winfo_manager() == ""
    assert str(app.window.status.cget("text")).startswith("Connected to")
    assert "Reconnected. Welcome back, alice!" in conversation(app)
    carol = IrcClient(again.port).register("carol")
    carol.join("#lobby")
    carol.send("PRIVMSG #lobby :glad you are back")
    pump_until(app.root, lambda: "glad you are back" in conversation(app))
    type_and_send(app, "me too")
    assert carol.expect("PRIVMSG").params == ["#lobby", "me too"]
    carol.close()


def test_a_real_flood_keeps_the_window_responsive(server: RunningServer, gui: GuiFactory) -> None:
    app = gui(server.port)
    pump_until(app.root, lambda: joined(app, "#lobby"))
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    count = 2000
    bob.send_raw(b"".join(b"PRIVMSG #lobby :flood %d\r\n" % i for i in range(count)))
    slowest = 0.0
    deadline = time.monotonic() + 30
    while f"flood {count - 1}\n" not in conversation(app):
        assert time.monotonic() < deadline, "the flood never finished arriving"
        started = time.monotonic()
        app.root.update()
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.002)
    assert slowest < 1.0, f"the window froze for {slowest:.2f} s"
    lines = int(app.window.conversation.index("end-1c").split(".")[0])
    assert lines <= MAX_LINES + 1
    bob.close()


def test_closing_the_window_sends_quit(server: RunningServer, gui: GuiFactory) -> None:
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    app = gui(server.port)
    pump_until(app.root, lambda: joined(app, "#lobby"))
    bob.expect("JOIN", lambda line: (line.source or "").startswith("alice!"))
    # What the window manager runs when the user closes the window.
    app.root.tk.call(app.root.protocol("WM_DELETE_WINDOW"))
    assert app.closed
    quit_line = bob.expect("QUIT", lambda line: (line.source or "").startswith("alice!"))
    assert quit_line.params
    app.wait()
    assert app.exit_code == 0
    bob.close()


def test_typing_quit_leaves_and_closes_the_window(server: RunningServer, gui: GuiFactory) -> None:
    app = gui(server.port)
    pump_until(app.root, lambda: joined(app, "#lobby"))
    type_and_send(app, "QUIT")
    deadline = time.monotonic() + 10
    while not app.closed and time.monotonic() < deadline:
        app.root.update()
        time.sleep(0.005)
    assert app.closed
    app.wait()
    assert app.exit_code == 0
