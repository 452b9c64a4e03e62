"""Issue 18's durability promise, on a real server process and SQLite file: replies,
reactions, deletions and multiline messages survive a restart and a kill -9 exactly as
plain messages do (what a client saw acknowledged is in history afterwards)."""

from __future__ import annotations

import signal
from pathlib import Path

import irctokens
import pytest

from support.irc_client import IrcClient
from support.server import RunningServer, ServerFactory

CAPS = (
    "batch server-time message-tags echo-message draft/chathistory draft/event-playback"
    " draft/multiline draft/message-redaction"
)


def start(factory: ServerFactory, data: Path) -> RunningServer:
    return factory("--no-flood-control", "--no-web", "--data-dir", str(data))


def echoed(client: IrcClient, nick: str, command: str, text: str | None = None) -> irctokens.Line:
    """The server's echo of what ``nick`` sent: the sign that it is stored."""
    return client.expect(
        command,
        lambda line: (
            (line.source or "").startswith(f"{nick}!") and (text is None or line.params[-1] == text)
        ),
    )


def say_everything(port: int) -> dict[str, str]:
    """alice and bob use every feature once in #h; the msgids they were acknowledged."""
    alice = IrcClient(port).register("alice", CAPS)
    bob = IrcClient(port).register("bob", CAPS)
    alice.join("#h")
    bob.join("#h")
    bob.send("PRIVMSG #h :who has the keys?")
    question = echoed(bob, "bob", "PRIVMSG", "who has the keys?").tags or {}
    alice.send("BATCH +p draft/multiline #h")
    alice.send("@batch=p PRIVMSG #h :Traceback (most recent call last):")
    alice.send('@batch=p PRIVMSG #h :  File "x.py", line 1')
    alice.send("BATCH -p")
    alice.expect("BATCH", lambda line: line.params[0].startswith("+"))
    pasted = alice.until("BATCH", lambda line: line.params[0].startswith("-"))
    alice.send(f"@+draft/reply={question['msgid']} PRIVMSG #h :on the hook")
    reply = echoed(alice, "alice", "PRIVMSG", "on the hook").tags or {}
    bob.send(f"@+draft/react=👍;+draft/reply={reply['msgid']} TAGMSG #h")
    echoed(bob, "bob", "TAGMSG")
    alice.send("PRIVMSG #h :oops, wrong room")
    oops = echoed(alice, "alice", "PRIVMSG", "oops, wrong room").tags or {}
    alice.send(f"REDACT #h {oops['msgid']} :typo")
    echoed(alice, "alice", "REDACT")
    for client in (alice, bob):
        client.close()
    assert [line.params[-1] for line in pasted if line.command == "PRIVMSG"] == [
        "Traceback (most recent call last):",
        '  File "x.py", line 1',
    ]  # the echo of the paste: one batch, so it is stored
    return {"question": question["msgid"], "reply": reply["msgid"], "oops": oops["msgid"]}


def replay(port: int) -> list[irctokens.Line]:
    """What a newcomer with every capability gets from CHATHISTORY LATEST #h."""
    carol = IrcClient(port).register("carol", CAPS)
    carol.join("#h")
    carol.send("CHATHISTORY LATEST #h * 50")
    opened = carol.expect("BATCH", lambda line: line.params[1:2] == ["chathistory"])
    ref = opened.params[0][1:]
    lines = carol.until("BATCH", lambda line: line.params == [f"-{ref}"])[:-1]
    carol.close()
    return lines


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["restart", "kill-9"])
def test_replies_reactions_deletions_and_pastes_survive(
    server_factory: ServerFactory, tmp_path: Path, stop: signal.Signals
) -> None:
    data = tmp_path / "data"
    server = start(server_factory, data)
    ids = say_everything(server.port)
    server.stop(stop)
    lines = replay(start(server_factory, data).port)

    said = [(line.command, line.params[-1], line.tags or {}) for line in lines]
    texts = [text for command, text, _ in said if command == "PRIVMSG"]
    # The paste comes back as one multiline batch of its two lines, in order.
    inner = [line for line in lines if line.command == "BATCH" and "draft/multiline" in line.params]
    assert len(inner) == 1
    pasted = [
        t for c, t, tags in said if c == "PRIVMSG" and tags.get("batch") == inner[0].params[0][1:]
    ]
    assert pasted == ["Traceback (most recent call last):", '  File "x.py", line 1']
    # The reply keeps what it answers.
    reply = next(tags for c, t, tags in said if c == "PRIVMSG" and t == "on the hook")
    assert reply["msgid"] == ids["reply"] and reply["+draft/reply"] == ids["question"]
    # The reaction is replayed (event-playback) on the message it was given to.
    reactions = [tags for c, _, tags in said if c == "TAGMSG"]
    assert [(r.get("+draft/react"), r.get("+draft/reply")) for r in reactions] == [
        ("👍", ids["reply"])
    ]
    # The deleted message is never replayed as text; the deletion is.
    assert "oops, wrong room" not in texts
    assert [line.params[:2] for line in lines if line.command == "REDACT"] == [["#h", ids["oops"]]]
    assert "who has the keys?" in texts
