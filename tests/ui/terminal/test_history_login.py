"""The terminal client on a pty: history on join and /history, and logging in
(with --account-password asked without echo, and /register)."""

from __future__ import annotations

from collections.abc import Callable

from support.irc_client import IrcClient
from support.pty import PtyClient
from support.server import RunningServer

Spawn = Callable[..., PtyClient]


def say(port: int, count: int) -> None:
    bob = IrcClient(port).register("bob")
    bob.join("#lobby")
    for n in range(count):
        bob.send(f"PRIVMSG #lobby :story part {n}")
    bob.send("PING stored")  # answered once the messages are stored
    bob.expect("PONG")
    bob.close()


def test_history_on_join_and_older_with_slash_history(server: RunningServer, spawn: Spawn) -> None:
    say(server.port, 8)
    term = spawn("-p", str(server.port), "--nick", "alice", "--history", "3")
    term.expect("── 3 earlier messages in #lobby ──")
    term.expect("bob: story part 5")
    term.expect("bob: story part 7")
    term.enter("/history 2")
    term.expect("── 2 older messages in #lobby ──")
    term.expect("bob: story part 3")
    term.expect("bob: story part 4")
    term.enter("/history")
    term.expect("── 3 older messages in #lobby ──")
    term.expect("bob: story part 2")
    term.expect("── start of the history of #lobby ──")
    term.enter("QUIT")
    assert term.wait_exit() == 0


def test_register_then_log_in_with_a_hidden_password(server: RunningServer, spawn: Spawn) -> None:
    first = spawn("-p", str(server.port), "--nick", "alice")
    first.expect("All set!")
    first.enter("/register tall giraffe 42")
    first.expect("Account alice created")
    first.expect("You are now logged in as alice")
    first.enter("QUIT")
    assert first.wait_exit() == 0

    again = spawn("-p", str(server.port), "--nick", "alice", "--account-password", "-")
    again.expect("Account password:")
    again.enter("tall giraffe 42")
    again.expect("You are now logged in as alice")
    again.expect("All set!")
    assert "tall giraffe" not in again.screen  # not echoed
    again.enter("QUIT")
    assert again.wait_exit() == 0

    wrong = spawn("-p", str(server.port), "--nick", "alice", env={"CHATROOM_PASSWORD": "nope"})
    wrong.expect("Could not log in as alice: wrong account name or password")
    wrong.expect("Type /login PASSWORD")
    wrong.enter("QUIT")
    assert wrong.wait_exit() == 0
