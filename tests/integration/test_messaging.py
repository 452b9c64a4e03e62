"""Messages over real sockets: ordering against a QUIT sent right after them (or an
abrupt close), and a message to yourself.
The commands themselves are tested in memory in tests/server/commands/test_messaging.py."""

from __future__ import annotations

import socket

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


def test_a_message_to_yourself_arrives(server: RunningServer) -> None:
    a = IrcClient(server.port).register("narcissus")
    a.send("PRIVMSG narcissus :hello me")
    assert a.expect("PRIVMSG").params == ["narcissus", "hello me"]


def test_messages_before_an_abrupt_close_come_before_its_quit(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    a.join("#lobby")
    for attempt in range(3):
        raw = socket.create_connection(("127.0.0.1", server.port))
        raw.sendall(f"NICK gone{attempt}\r\nUSER g 0 * :g\r\nJOIN #lobby\r\n".encode())
        a.expect("JOIN", lambda line, n=attempt: line.source.startswith(f"gone{n}!"))
        raw.sendall(b"PRIVMSG #lobby :last words\r\n")
        raw.close()
        seen = [line.command for line in a.until("QUIT")]
        assert seen[-2:] == ["PRIVMSG", "QUIT"]
