"""The interactive terminal client, driven through a real pty like a person would.

The other side of each conversation is an independent IRC client (irctokens
over a raw socket), so the terminal client is not only checked by our own code.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

from support.irc_client import IrcClient
from support.ports import free_port
from support.pty import PtyClient
from support.server import RunningServer, ServerFactory

Spawn = Callable[..., PtyClient]


def peer_in_lobby(server: RunningServer, nick: str = "peer") -> IrcClient:
    peer = IrcClient(server.port).register(nick)
    peer.join("#lobby")
    return peer


def test_tutorial_words_chat_private_message_and_quit(server: RunningServer, spawn: Spawn) -> None:
    peer = peer_in_lobby(server)
    term = spawn("127.0.0.1", "-p", str(server.port))
    term.expect(f"Trying to connect to 127.0.0.1:{server.port}...")
    term.expect(f"Successfully connected to 127.0.0.1:{server.port}")
    term.expect("Your name:")
    term.enter("alice")
    term.expect("Welcome, alice! Getting ready to send and receive messages...")
    term.expect("All set! Leave the chatroom anytime by typing 'QUIT'")
    peer.expect("JOIN", lambda line: line.source.startswith("alice!"))

    peer.send("PRIVMSG #lobby :hi alice 😀")
    term.expect("peer: hi alice 😀")

    term.enter("hello peer, ça va? 🎉")
    line = peer.expect("PRIVMSG")
    assert line.params == ["#lobby", "hello peer, ça va? 🎉"]
    term.expect("alice: hello peer, ça va? 🎉")

    term.enter("/msg peer just between us")
    line = peer.expect("PRIVMSG")
    assert line.params == ["peer", "just between us"]
    term.expect("── peer ── private chat")

    term.enter("QUIT")
    quit_line = peer.expect("QUIT")
    assert quit_line.source.startswith("alice!")
    assert term.wait_exit() == 0
    # Our own lines appear once: the typed line is replaced by the server's echo.
    assert term.screen.count("alice: hello peer, ça va? 🎉") == 1
    peer.close()


def test_incoming_lines_do_not_break_the_line_being_typed(
    server: RunningServer, spawn: Spawn
) -> None:
    peer = peer_in_lobby(server)
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "typist")
    term.expect("All set!")
    peer.expect("JOIN", lambda line: line.source.startswith("typist!"))
    term.send("half of a sent")
    term.expect("half of a sent")
    peer.send("PRIVMSG #lobby :interrupting you")
    term.expect("peer: interrupting you")
    term.expect("half of a sent")  # the prompt is redrawn below, text intact
    term.enter("ence")
    line = peer.expect("PRIVMSG")
    assert line.params == ["#lobby", "half of a sentence"]
    term.enter("/quit")
    assert term.wait_exit() == 0
    peer.close()


def test_tab_completion_history_and_alt_number(server: RunningServer, spawn: Spawn) -> None:
    peer = peer_in_lobby(server, "peerless")
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "tabby")
    term.expect("All set!")
    term.send("pee\t")
    term.enter("hi")
    assert peer.expect("PRIVMSG").params == ["#lobby", "peerless: hi"]
    term.send("\x1b[A")  # Up: the last line comes back
    term.send("\r")
    assert peer.expect("PRIVMSG").params == ["#lobby", "peerless: hi"]
    term.send("/jo\t")
    term.enter("#dev")
    term.expect("── #dev ──")
    term.send("\x1b2")  # Alt+2: back to the lobby
    term.expect("── #lobby ──")
    term.enter("back in the lobby")
    assert peer.expect("PRIVMSG").params == ["#lobby", "back in the lobby"]
    term.enter("QUIT")
    assert term.wait_exit() == 0
    peer.close()


def test_mention_from_another_room_is_shown_and_counted(
    server: RunningServer, spawn: Spawn
) -> None:
    peer = peer_in_lobby(server)
    peer.join("#dev")
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "mia", "--room", "#dev")
    term.expect("All set!")
    term.enter("/join #lobby")
    term.expect("── #lobby ──")
    peer.send("PRIVMSG #dev :unrelated chatter")
    peer.send("PRIVMSG #dev :mia, look at this")
    term.expect("[#dev] peer: mia, look at this")
    assert "unrelated chatter" not in term.screen  # counted in the bottom bar instead
    term.expect_shown("#dev(2!)")
    # Back in #dev: a "new messages" line above what was missed, and the count is gone.
    term.enter("/switch #dev")
    term.expect("── new messages ──")
    term.expect("peer: unrelated chatter")
    term.expect_shown("2:#dev 3:#lobby")
    term.enter("QUIT")
    assert term.wait_exit() == 0
    peer.close()


def test_lost_connection_then_reconnect_after_restart(
    server_factory: ServerFactory, spawn: Spawn
) -> None:
    server = server_factory("--no-flood-control")
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "phoenix")
    term.expect("All set!")
    server.stop(signal.SIGTERM)
    term.expect("Oh no, we have lost connection to the server!")
    restarted = server_factory("--no-flood-control", port=server.port)
    term.expect("Reconnected. Welcome back, phoenix!")
    term.expect("Back in #lobby.")
    peer = peer_in_lobby(restarted)
    peer.send("PRIVMSG #lobby :welcome back")
    term.expect("peer: welcome back")
    term.enter("thanks")
    assert peer.expect("PRIVMSG").params == ["#lobby", "thanks"]
    term.enter("QUIT")
    assert term.wait_exit() == 0
    peer.close()


def test_no_reconnect_exits_with_1(server_factory: ServerFactory, spawn: Spawn) -> None:
    server = server_factory("--no-flood-control")
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "once", "--no-reconnect")
    term.expect("All set!")
    server.stop(signal.SIGTERM)
    term.expect("Oh no, we have lost connection to the server!")
    assert term.wait_exit() == 1


def test_connection_refused_is_one_clear_line(spawn: Spawn) -> None:
    port = free_port()
    term = spawn("127.0.0.1", "-p", str(port), "--nick", "nobody")
    term.expect(f"Could not connect to 127.0.0.1:{port}: connection refused")
    assert term.wait_exit() == 1
    assert "Traceback" not in term.screen


def test_reply_and_react_as_compact_lines(server: RunningServer, spawn: Spawn) -> None:
    peer = IrcClient(server.port).register("peer", "message-tags echo-message")
    peer.join("#lobby")
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "rea")
    term.expect("All set!")
    peer.expect("JOIN", lambda line: line.source.startswith("rea!"))
    peer.send("PRIVMSG #lobby :lunch at noon?")
    msgid = peer.expect("PRIVMSG").tags["msgid"]
    term.expect("peer: lunch at noon?")
    term.enter("/reply peer yes please")
    line = peer.expect("PRIVMSG")
    assert line.params == ["#lobby", "yes please"] and line.tags["+draft/reply"] == msgid
    term.expect("┌ peer: lunch at noon?")
    term.enter("/react 👍")
    line = peer.expect("TAGMSG")
    assert line.tags["+draft/react"] == "👍" and line.tags["+draft/reply"] == msgid
    term.expect("└ 👍* 1  (peer: lunch at noon?)")
    peer.send(f"@+draft/reply={msgid};+draft/react=👍 TAGMSG #lobby")
    term.expect("└ 👍* 2  (peer: lunch at noon?)")
    term.enter("/react 👍")  # again: taken back
    line = peer.expect("TAGMSG", lambda line: line.source.startswith("rea!"))
    assert line.tags["+draft/unreact"] == "👍"
    term.expect("└ 👍 1  (peer: lunch at noon?)")
    term.enter("QUIT")
    assert term.wait_exit() == 0
    peer.close()


def test_a_paste_goes_as_one_multiline_message(server: RunningServer, spawn: Spawn) -> None:
    modern = IrcClient(server.port).register("modern", "batch message-tags draft/multiline")
    modern.join("#lobby")
    plain = peer_in_lobby(server, "plain")
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "paster")
    term.expect("All set!")
    plain.expect("JOIN", lambda line: line.source.startswith("paster!"))
    long = "x" * 300 + " " + "y" * 300  # longer than one IRC line
    pasted = f"Traceback:\n  File x, line 1\n{long}\nValueError: bad"
    # A terminal wraps a paste in bracketed-paste markers: the line breaks stay text.
    term.send(f"\x1b[200~{pasted}\x1b[201~")
    term.send("\r")
    batch = modern.until("BATCH", lambda line: line.params[0].startswith("-"))
    opening = next(line for line in batch if line.command == "BATCH")
    assert opening.params[1:] == ["draft/multiline", "#lobby"]
    body = [line for line in batch if line.command == "PRIVMSG"]
    text = ""
    for line in body:
        text += line.params[1] if "draft/multiline-concat" in line.tags else "\n" + line.params[1]
    assert text[1:] == pasted and len(body) > 4  # the long line went in concatenated parts
    # A client without the cap gets the lines one by one (the server's fallback).
    first = plain.expect("PRIVMSG").params[1]
    assert first == "Traceback:"
    assert plain.expect("PRIVMSG").params[1] == "  File x, line 1"
    # Shown back (the server's echo) as one message, its lines under the first.
    term.expect("paster: Traceback:")
    term.expect("  File x, line 1")
    term.expect("ValueError: bad")
    # One long line typed: one message of concatenated parts, not several messages.
    term.enter("z" * 1200)
    batch = modern.until("BATCH", lambda line: line.params[0].startswith("-"))
    parts = [line for line in batch if line.command == "PRIVMSG"]
    assert len(parts) > 2 and "".join(line.params[1] for line in parts) == "z" * 1200
    assert all("draft/multiline-concat" in line.tags for line in parts[1:])
    term.enter("QUIT")
    assert term.wait_exit() == 0
    assert term.screen.count("paster: Traceback:") == 1
    modern.close()
    plain.close()
