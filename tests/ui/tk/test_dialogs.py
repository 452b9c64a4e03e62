"""The connect dialog against a real server: clear errors in the dialog, then
a connection, and the fields remembered for next time."""

from __future__ import annotations

import json
from pathlib import Path

from chatroom.ui.tk.app import TkChatApp
from chatroom.ui.tk.settings import ConnectSettings
from support.ports import free_port
from support.server import RunningServer
from support.tk import GuiFactory, pump_until


def dialog_error(app: TkChatApp) -> str:
    assert app.dialog is not None
    return str(app.dialog.error.cget("text"))


def test_refused_then_connected_and_remembered(
    server: RunningServer, gui: GuiFactory, tmp_path: Path
) -> None:
    app = gui(server.port, nick=None)
    app.settings_file = tmp_path / "config" / "chatroom" / "gui.json"
    closed_port = free_port()
    dialog = app.ask(ConnectSettings("127.0.0.1", closed_port, ""))
    assert app.root.state() == "withdrawn"  # only the dialog is shown

    dialog.connect_button.invoke()  # no name yet
    assert "type a name" in dialog_error(app)
    assert app.runner is None  # nothing was tried

    dialog.nick.set("alice")
    dialog.connect_button.invoke()
    assert str(dialog.connect_button.cget("state")) == "disabled"
    expected = f"Could not connect to 127.0.0.1:{closed_port}: connection refused"
    pump_until(app.root, lambda: dialog_error(app) == expected, what=expected)
    assert str(dialog.connect_button.cget("state")) == "normal"  # try again
    assert not app.settings_file.exists()

    dialog.port.set(str(server.port))
    dialog.connect_button.invoke()
    pump_until(app.root, lambda: app.dialog is None, what="connected")
    assert app.root.state() == "normal"
    assert json.loads(app.settings_file.read_text()) == {
        "host": "127.0.0.1",
        "port": server.port,
        "nick": "alice",
    }
    pump_until(app.root, lambda: app.root.title() == "Chatroom — #lobby")


def test_bad_fields_are_explained_without_connecting(gui: GuiFactory) -> None:
    app = gui(1060, nick=None)
    dialog = app.ask(ConnectSettings("", 1060, "alice"))
    dialog.connect_button.invoke()
    assert "server's address" in dialog_error(app)
    dialog.host.set("127.0.0.1")
    dialog.port.set("http")
    dialog.connect_button.invoke()
    assert "port is a number" in dialog_error(app)
    dialog.port.set("1060")
    dialog.nick.set("al ice")
    dialog.connect_button.invoke()
    assert dialog_error(app) == "A name cannot contain spaces; try al_ice."
    dialog.nick.set("9lives")
    dialog.connect_button.invoke()
    assert "cannot be used as a name" in dialog_error(app)
    assert app.runner is None


def test_a_refused_start_with_a_name_falls_back_to_the_dialog(gui: GuiFactory) -> None:
    closed_port = free_port()
    app = gui(closed_port)  # as `chatroom gui --nick alice` with no server there
    pump_until(app.root, lambda: app.dialog is not None, what="the connect dialog")
    expected = f"Could not connect to 127.0.0.1:{closed_port}: connection refused"
    assert dialog_error(app) == expected
    assert app.dialog is not None and app.dialog.nick.get() == "alice"


def test_quit_in_the_dialog_closes_the_app(gui: GuiFactory) -> None:
    app = gui(1060, nick=None)
    dialog = app.ask(ConnectSettings())
    dialog.quit_button.invoke()
    assert app.closed
    assert app.exit_code == 0
