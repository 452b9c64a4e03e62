"""Messages over real sockets: ordering against a QUIT sent right after them.
The commands themselves are tested in memory in tests/server/commands/test_messaging.py."""

from __future__ import annotations

from support.irc_client import IrcClient
from support.server import RunningServer


def test_quit_does_not_overtake_messages_sent_before_it(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    a.join("#lobby")
    b.join("#lobby")
    b.send_raw(b"PRIVMSG #lobby :one\r\nPRIVMSG #lobby :two\r\nPART #lobby :bye\r\n")
    seen = [(line.command, line.params[-1]) for line in a.until("PART")]
    assert seen[-3:] == [("PRIVMSG", "one"), ("PRIVMSG", "two"), ("PART", "bye")]
    b.send_raw(b"JOIN #lobby\r\nPRIVMSG #lobby :three\r\nQUIT :gone\r\n")
    seen = [(line.command, line.params[-1]) for line in a.until("QUIT")]
    assert seen[-2:] == [("PRIVMSG", "three"), ("QUIT", "Quit: gone")]
