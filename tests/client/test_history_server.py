"""History in the client core against the real server: replay on join, after a
restart, after a reconnection (nothing twice), and paging back."""

from __future__ import annotations

import signal

from chatroom.client.events import ConnectionLost, HistoryLoaded, OlderMessages, Registered
from chatroom.client.reactions import summary
from support.client import Running, until
from support.irc_client import IrcClient
from support.server import ServerFactory


def texts(running: Running, buffer: str) -> list[str]:
    found = running.client.model.get(buffer)
    return [m.text for m in found.messages] if found is not None else []


def say(port: int, nick: str, *lines: str, target: str = "#lobby") -> IrcClient:
    """Send ``lines`` as ``nick`` and wait until the server has stored them (it
    answers later commands only once earlier messages are stored)."""
    irc = IrcClient(port).register(nick)
    if target.startswith("#"):
        irc.join(target)
    for text in lines:
        irc.send(f"PRIVMSG {target} :{text}")
    irc.send("PING stored")
    irc.expect("PONG")
    return irc


async def test_history_on_join_survives_a_restart(server_factory: ServerFactory) -> None:
    server = server_factory("--no-flood-control")
    say(server.port, "bob", *[f"earlier {n}" for n in range(6)]).close()
    server.stop(signal.SIGTERM)
    server = server_factory("--no-flood-control", port=server.port)  # same data dir
    alice = await Running(server.port, "alice", history_lines=4).ready()
    loaded = await alice.event(HistoryLoaded)
    assert [m.text for m in loaded.messages] == [f"earlier {n}" for n in range(2, 6)]
    assert all(m.history and m.msgid and m.sender == "bob" for m in loaded.messages)
    assert loaded.active and texts(alice, "#lobby")[:4] == [m.text for m in loaded.messages]
    lobby = alice.client.model.get("#lobby")
    assert lobby is not None and lobby.unread == 0
    times = [m.time for m in loaded.messages]
    assert times == sorted(times) and times[-1] < lobby.messages[-1].time
    await alice.stop()


async def test_reconnecting_fetches_what_was_missed_and_nothing_twice(
    server_factory: ServerFactory,
) -> None:
    server = server_factory("--no-flood-control")
    bob = say(server.port, "bob", "before")
    alice = await Running(server.port, "alice", reconnect_delays=(0.3,)).ready()
    await alice.event(HistoryLoaded)
    bob.send("PRIVMSG #lobby :live")
    await until(lambda: "live" in texts(alice, "#lobby"))
    server.stop(signal.SIGTERM)
    await alice.event(ConnectionLost)
    # These calls block the loop, so alice cannot reconnect before carol has spoken.
    server = server_factory("--no-flood-control", port=server.port)
    say(server.port, "carol", "while you were away").close()
    await alice.event(Registered, lambda e: e.reconnected)
    await until(lambda: "while you were away" in texts(alice, "#lobby"))
    lobby = alice.client.model.get("#lobby")
    assert lobby is not None
    missed = [m for m in lobby.messages if m.text == "while you were away"]
    assert len(missed) == 1 and missed[0].history
    chat = [m.text for m in lobby.messages if m.msgid and m.sender]
    assert chat == ["before", "live", "while you were away"]
    ids = [m.msgid for m in lobby.messages if m.msgid]
    assert len(ids) == len(set(ids))
    await alice.stop()


async def test_fetch_older_pages_back_to_the_start(server_factory: ServerFactory) -> None:
    server = server_factory("--no-flood-control")
    say(server.port, "bob", *[f"old {n}" for n in range(9)]).close()
    alice = await Running(server.port, "alice", history_lines=3).ready()
    await alice.event(HistoryLoaded)
    assert alice.client.fetch_older("#lobby", 4)
    first = await alice.event(OlderMessages)
    assert [m.text for m in first.messages] == [f"old {n}" for n in range(2, 6)]
    assert not first.complete
    assert alice.client.fetch_older("#lobby", 4)
    await until(lambda: len(alice.of(OlderMessages)) == 2)
    second = alice.of(OlderMessages)[1]
    assert [m.text for m in second.messages] == ["old 0", "old 1"] and second.complete
    assert [t for t in texts(alice, "#lobby") if t.startswith("old")] == [
        f"old {n}" for n in range(9)
    ]
    await alice.stop()


async def test_private_history_when_a_chat_is_opened_again(server_factory: ServerFactory) -> None:
    server = server_factory("--no-flood-control")
    alice = await Running(server.port, "alice").ready()
    say(server.port, "bob", "psst", target="alice").close()
    await until(lambda: "psst" in texts(alice, "bob"))
    alice.client.submit("/close bob")
    assert alice.client.model.get("bob") is None
    assert alice.client.open_private("bob")
    loaded = await alice.event(HistoryLoaded, lambda e: e.buffer == "bob")
    assert [m.text for m in loaded.messages] == ["psst"] and loaded.messages[0].history
    await alice.stop()


async def test_without_history_on_the_server_nothing_is_asked(
    server_factory: ServerFactory,
) -> None:
    server = server_factory("--no-flood-control", config="[history]\nenabled = false\n")
    alice = await Running(server.port, "alice").ready()
    assert "draft/chathistory" not in alice.client.caps
    assert not alice.client.fetch_older("#lobby")
    assert not alice.of(HistoryLoaded)
    await alice.stop()


async def test_reactions_and_deletions_come_back_with_history(
    server_factory: ServerFactory,
) -> None:
    server = server_factory("--no-flood-control")
    caps = "message-tags echo-message batch server-time draft/message-redaction"
    bob = IrcClient(server.port).register("bob", caps)
    bob.join("#lobby")
    ids = {}
    for text in ("lunch?", "oops, wrong room", "noon then"):
        bob.send(f"PRIVMSG #lobby :{text}")
        ids[text] = bob.expect("PRIVMSG").tags["msgid"]
    bob.send(f"@+draft/reply={ids['lunch?']};+draft/react=👍 TAGMSG #lobby")
    bob.expect("TAGMSG")
    bob.send(f"REDACT #lobby {ids['oops, wrong room']}")
    bob.expect("REDACT")
    # The core asks for draft/event-playback: without it the spec allows no TAGMSG.
    alice = await Running(server.port, "alice").ready()
    assert "draft/event-playback" in alice.client.caps
    loaded = await alice.event(HistoryLoaded)
    assert [m.text for m in loaded.messages] == ["lunch?", "noon then"]
    lobby = alice.client.model.get("#lobby")
    assert lobby is not None
    assert [(r.text, r.count) for r in summary(lobby, ids["lunch?"], "alice")] == [("👍", 1)]
    await alice.stop()
    # An independent client without event-playback: only the two messages, no
    # TAGMSG, no REDACT, no tombstone's text.
    plain = IrcClient(server.port).register("plain", "batch message-tags draft/chathistory")
    plain.join("#lobby")
    plain.send("CHATHISTORY LATEST #lobby * 2")
    plain.expect("BATCH", lambda line: line.params[0].startswith("+"))
    batch = plain.until("BATCH", lambda line: line.params[0].startswith("-"))
    replayed = [line for line in batch if "batch" in (line.tags or {})]
    assert [(line.command, line.params[-1]) for line in replayed] == [
        ("PRIVMSG", "lunch?"),
        ("PRIVMSG", "noon then"),
    ]
    bob.close()
    plain.close()
