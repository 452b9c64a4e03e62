"""Attaching a file from the desktop client against a real server: the link is
sent, an image shows as a thumbnail (fetched off the Tk thread), and a refusal
shows the server's reason."""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image

from chatroom.ui.tk.attach import ThumbnailLoader, fetch_thumbnail
from support.accounts import PASSWORD, register_account
from support.irc_client import IrcClient
from support.server import RunningServer, ServerFactory
from support.timeouts import TIMEOUT
from support.tk import GuiFactory, conversation, pump_until, ready


def picture(path: Path) -> Path:
    Image.new("RGB", (640, 480), (53, 102, 214)).save(path)
    return path


def test_attach_sends_the_link_and_shows_a_thumbnail(
    server: RunningServer, gui: GuiFactory, tmp_path: Path
) -> None:
    register_account(server, "alice").close()
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    app = gui(server.port, account_password=PASSWORD)
    ready(app, "bob")
    image = picture(tmp_path / "screenshot.png")
    app.features.ask_file = lambda: str(image)
    app.features.attach_button.invoke()
    line = bob.expect("PRIVMSG")
    link = line.params[1]
    assert link.startswith(f"http://127.0.0.1:{server.web_port}/files/")
    pump_until(app.root, lambda: link in conversation(app), what="the link")
    widget = app.window.conversation
    pump_until(app.root, lambda: bool(widget.image_names()), what="the thumbnail")
    [name] = widget.image_names()
    shown = widget.image_cget(name, "image")
    assert int(widget.tk.call("image", "width", shown)) == 320  # the server's, not the original


def test_a_guest_attaches_with_a_session_token(
    server_factory: ServerFactory, gui: GuiFactory, tmp_path: Path
) -> None:
    """No account and no password: the upload goes with an EXTJWT token, where the
    server lets guests share."""
    server = server_factory("--no-flood-control", config="[files]\nguests = true\n")
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    app = gui(server.port)
    ready(app, "bob")
    image = picture(tmp_path / "guest.png")
    app.features.ask_file = lambda: str(image)
    app.features.attach_button.invoke()
    link = bob.expect("PRIVMSG").params[1]
    assert link.startswith(f"http://127.0.0.1:{server.web_port}/files/")
    pump_until(app.root, lambda: link in conversation(app), what="the link")


def test_a_refused_attachment_shows_the_servers_reason(
    server_factory: ServerFactory, gui: GuiFactory, tmp_path: Path
) -> None:
    server = server_factory("--no-flood-control", config="[files]\nmax_size = 100\n")
    register_account(server, "alice").close()
    app = gui(server.port, account_password=PASSWORD)
    pump_until(app.root, lambda: str(app.window.heading.cget("text")) == "#lobby")
    image = picture(tmp_path / "big.png")
    app.features.ask_file = lambda: str(image)
    app.window.input.focus_force()
    app.window.input.event_generate("<Control-o>")  # the key, as the button
    pump_until(
        app.root,
        lambda: "failed: Files may be at most 100 bytes" in conversation(app),
        what="the refusal",
    )
    assert app.window.conversation.tag_ranges("error")
    assert app.window.input.get("1.0", "end-1c") == ""  # Ctrl+O opened no line in the input


def test_thumbnails_of_nothing_never_block_or_raise() -> None:
    assert fetch_thumbnail("http://127.0.0.1:9/files/" + "A" * 22, timeout=2) is None
    loader = ThumbnailLoader()
    loader.want("m1", "http://127.0.0.1:9/files/" + "B" * 22)  # only queues the fetch
    deadline = time.monotonic() + TIMEOUT
    while loader._pending and time.monotonic() < deadline:
        assert loader.ready() == []
        time.sleep(0.05)
    assert loader.ready() == [] and not loader._pending
    loader.close()
    loader.close()
