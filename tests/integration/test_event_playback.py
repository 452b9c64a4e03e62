"""draft/event-playback over real sockets and a real SQLite file, read with irctokens:
the channel events a client saw live come back, after a restart, exactly as relayed."""

from __future__ import annotations

import signal
from pathlib import Path

import irctokens

from support.irc_client import IrcClient
from support.server import ServerFactory

CAPS = "batch server-time message-tags draft/chathistory"
PLAYBACK = f"{CAPS} draft/event-playback"


def replayed(client: IrcClient, channel: str) -> list[irctokens.Line]:
    """The lines of the chathistory batch of ``CHATHISTORY LATEST <channel> * 50``."""
    client.send(f"CHATHISTORY LATEST {channel} * 50")
    start = client.expect("BATCH", lambda line: line.params[0].startswith("+"))
    assert start.params[1:] == ["chathistory", channel]
    ref = start.params[0][1:]
    return client.until("BATCH", lambda line: line.params == [f"-{ref}"])[:-1]


def seen(line: irctokens.Line) -> tuple[str, list[str], str | None, str | None]:
    return line.command, line.params, line.source, (line.tags or {}).get("time")


def test_events_come_back_as_relayed_after_a_restart(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    data = tmp_path / "keep"
    server = server_factory("--no-flood-control", "--data-dir", str(data))
    alice = IrcClient(server.port).register("alice", PLAYBACK)
    bob = IrcClient(server.port).register("bob")
    alice.join("#ev")
    bob.join("#ev")
    live = [alice.expect("JOIN", lambda line: line.source.startswith("bob!"))]
    for line in ("TOPIC #ev :a topic", "MODE #ev +v bob"):
        alice.send(line)
        live.append(alice.expect(line.split()[0]))
    for line, command in (("NICK bobby", "NICK"), ("PRIVMSG #ev :hi", "PRIVMSG")):
        bob.send(line)
        live.append(alice.expect(command))
    bob.send("PART #ev :bye")
    live.append(alice.expect("PART"))
    alice.send("PING sync")
    alice.expect("PONG")
    assert server.stop(signal.SIGTERM) == 0

    again = server_factory("--no-flood-control", "--data-dir", str(data))
    carol = IrcClient(again.port).register("carol", PLAYBACK)
    carol.join("#ev")
    lines = replayed(carol, "#ev")
    events = [line for line in lines if line.command != "JOIN" or line.source.startswith("bob!")]
    # alice's own JOIN comes first (and her QUIT at the SIGTERM may come last); the rest
    # is what she saw live: the same commands, parameters, sources and times.
    assert lines[0].command == "JOIN" and lines[0].source.startswith("alice!")
    assert [seen(line) for line in events if line.command != "QUIT"] == [seen(x) for x in live]
    assert all(line.tags and line.tags.get("msgid") for line in lines)

    dave = IrcClient(again.port).register("dave", CAPS)  # no event-playback
    dave.join("#ev")
    assert [line.command for line in replayed(dave, "#ev")] == ["PRIVMSG"]
