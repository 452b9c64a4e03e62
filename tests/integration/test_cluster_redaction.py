"""REDACT across the processes of a network (--cluster): a deletion on one process
reaches the members on the others live."""

from __future__ import annotations

from support.irc_client import IrcClient
from support.server import RunningServer

CAPS = "echo-message message-tags batch draft/message-redaction"


def test_a_deletion_reaches_the_other_process(pair: tuple[RunningServer, RunningServer]) -> None:
    first, second = pair
    alice = IrcClient(first.port).register("alice", CAPS)
    alice.join("#room")
    bob = IrcClient(second.port).register("bob", CAPS)
    bob.join("#room")
    plain = IrcClient(second.port).register("plain", "message-tags")
    plain.join("#room")
    alice.expect("JOIN", lambda line: line.source.startswith("plain!"))
    alice.send("PRIVMSG #room :wrong room, sorry")
    msgid = alice.expect("PRIVMSG").tags["msgid"]
    assert bob.expect("PRIVMSG").tags["msgid"] == msgid
    alice.send(f"REDACT #room {msgid} :typo")
    assert alice.expect("REDACT").params == ["#room", msgid, "typo"]
    line = bob.expect("REDACT")
    assert line.params == ["#room", msgid, "typo"] and line.source.startswith("alice!")
    # Private messages too, and nothing to a client without the cap.
    alice.send("PRIVMSG bob :psst")
    private = bob.expect("PRIVMSG").tags["msgid"]
    alice.send(f"REDACT bob {private}")
    assert bob.expect("REDACT").params == ["bob", private]
    plain.send("PING sync")
    seen = plain.until("PONG")
    assert "REDACT" not in [line.command for line in seen]
    for client in (alice, bob, plain):
        client.close()
