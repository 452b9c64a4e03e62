"""WHOX and bot mode over real sockets, read by an independent parser (irctokens):
https://ircv3.net/specs/extensions/whox, https://ircv3.net/specs/extensions/bot-mode."""

from __future__ import annotations

from support.irc_client import IrcClient
from support.server import RunningServer


def test_whox_and_bot_mode(server: RunningServer) -> None:
    alice = IrcClient(server.port).register("alice", "message-tags")
    alice.send("VERSION")
    burst = alice.until("005", lambda line: "WHOX" in line.params)
    assert "BOT=B" in [p for line in burst if line.command == "005" for p in line.params]
    robo = IrcClient(server.port).register("robo")
    robo.send("MODE robo +B")
    assert robo.expect("MODE").params == ["robo", "+B"]
    robo.send("AWAY :charging")
    robo.expect("306")
    alice.join("#w")
    robo.join("#w")
    alice.send("WHO #w %tcnuhafr,42")
    replies = alice.until("315")
    rows = {line.params[5]: line.params for line in replies if line.command == "354"}
    assert "352" not in [line.command for line in replies]
    assert rows["alice"] == ["alice", "42", "#w", "~alice", "127.0.0.1", "alice", "H@", "0",
                             "alice real"]  # fmt: skip
    assert rows["robo"][6:] == ["GB", "0", "robo real"]
    alice.send("WHOIS robo")
    assert "335" in [line.command for line in alice.until("318")]
    robo.send("PRIVMSG #w :beep")
    said = alice.expect("PRIVMSG")
    assert said.tags is not None and "bot" in said.tags and said.params == ["#w", "beep"]
