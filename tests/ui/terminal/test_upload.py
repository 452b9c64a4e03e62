"""``/upload PATH`` in the terminal client on a pty: with a session token (EXTJWT) a
guest shares a file where the server lets guests, and is told to log in where not."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

from support.irc_client import IrcClient
from support.pty import PtyClient
from support.server import ServerFactory


def test_a_guest_uploads_with_a_token_and_the_link_is_sent(
    server_factory: ServerFactory, spawn: Callable[..., PtyClient], tmp_path: Path
) -> None:
    server = server_factory("--no-flood-control", config="[files]\nguests = true\n")
    peer = IrcClient(server.port).register("peer")
    peer.join("#lobby")
    shared = tmp_path / "build.log"
    shared.write_text("all green\n")
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "guesty")
    term.expect("All set!")
    term.enter(f"/upload {shared}")
    link = peer.expect("PRIVMSG").params[1]
    assert link.startswith(f"http://127.0.0.1:{server.web_port}/files/")
    term.expect(link)  # the link, as sent, in our own conversation
    with urllib.request.urlopen(link, timeout=10) as response:
        assert response.read() == b"all green\n"
    peer.close()


def test_a_guest_is_told_to_log_in_where_guests_may_not_share(
    server_factory: ServerFactory, spawn: Callable[..., PtyClient], tmp_path: Path
) -> None:
    server = server_factory("--no-flood-control")
    shared = tmp_path / "build.log"
    shared.write_text("x\n")
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "guesty")
    term.expect("All set!")
    term.enter(f"/upload {shared}")
    term.expect("log in to an account first")
