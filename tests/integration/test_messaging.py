"""Messages over real sockets: ordering against a QUIT sent right after them.
The commands themselves are tested in memory in tests/server/commands/test_messaging.py."""

from __future__ import annotations

from conftest import RunningServer
from irc_client import IrcClient


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


def test_targets_arrive_and_are_kept_under_their_canonical_names(server: RunningServer) -> None:
    # Issue 17: "PRIVMSG #LOBBY" arrived as "#LOBBY" (JOIN says "#Lobby"), a message to
    # CASEB as "CASEB", and history kept them so.
    a = IrcClient(server.port).register("alice", caps="batch server-time")
    b = IrcClient(server.port).register("CaseB")
    a.join("#Canon")
    b.join("#canon")
    a.send("PRIVMSG #CANON :in the room")
    assert b.expect("PRIVMSG").params == ["#Canon", "in the room"]
    a.send("PRIVMSG CASEB :just you")
    assert b.expect("PRIVMSG").params == ["CaseB", "just you"]
    a.send("CHATHISTORY LATEST #CANON * 10")
    replayed = a.until("BATCH", lambda line: line.params[0].startswith("-"))
    opened = next(line.params[1:] for line in replayed if line.command == "BATCH")
    assert opened == ["chathistory", "#Canon"]
    kept = [line.params[0] for line in replayed if line.command == "PRIVMSG" and line.tags]
    assert kept == ["#Canon"]
