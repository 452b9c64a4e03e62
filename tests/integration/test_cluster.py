"""Two server processes sharing one Redis are one chat network (--cluster)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from support.irc_client import IrcClient, names
from support.ports import free_port
from support.server import RunningServer
from support.timeouts import TIMEOUT


def _wait_names(client: IrcClient, channel: str, wanted: set[str]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while (seen := names(client, channel)) != wanted:
        assert time.monotonic() < deadline, f"NAMES stayed {seen}, not {wanted}"
        time.sleep(0.05)


def test_channel_chat_across_processes(pair: tuple[RunningServer, RunningServer]) -> None:
    first, second = pair
    assert "Joined the network in Redis" in first.log
    alice = IrcClient(first.port).register("alice", "echo-message message-tags")
    alice.join("#room")
    bob = IrcClient(second.port).register("bob")
    bob.join("#room")
    alice.expect("JOIN", lambda line: line.source.startswith("bob!"))
    assert names(bob, "#room") == {"alice", "bob"}
    for i in range(5):
        alice.send(f"PRIVMSG #room :hello {i}")
    texts = [bob.expect("PRIVMSG").params[1] for _ in range(5)]
    assert texts == [f"hello {i}" for i in range(5)]  # in order, each once
    echoed = alice.expect("PRIVMSG")
    assert "msgid" in (echoed.tags or {})
    bob.send("NOTICE #room :a notice from the other side")
    assert alice.expect("NOTICE").params[1] == "a notice from the other side"
    bob.send("PING sync")
    bob.expect("PONG")
    assert not [line for line in bob.collect(0.3) if line.command == "PRIVMSG"]
    # Part and quit are seen across, and NAMES follows.
    bob.send("PART #room :bye")
    assert alice.expect("PART").params[-1] == "bye"
    _wait_names(alice, "#room", {"alice"})
    bob.join("#room")
    alice.expect("JOIN")
    bob.send("NICK bobby")
    assert alice.expect("NICK").params[0] == "bobby"
    bob.send("QUIT :done")
    quit_line = alice.expect("QUIT")
    assert quit_line.source.startswith("bobby!") and "done" in quit_line.params[0]
    _wait_names(alice, "#room", {"alice"})


def test_nicks_are_unique_and_private_messages_cross(
    pair: tuple[RunningServer, RunningServer],
) -> None:
    first, second = pair
    carol = IrcClient(first.port).register("carol")
    other = IrcClient(second.port)
    other.send("NICK Carol")
    other.send("USER x 0 * :x")
    other.expect("433")
    other.send("NICK dave")
    other.expect("001")
    other.send("NICK CAROL")
    other.expect("433")
    other.send("PRIVMSG carol :psst")
    message = carol.expect("PRIVMSG")
    assert message.source.startswith("dave!") and message.params == ["carol", "psst"]
    carol.send("PRIVMSG dave :hi back")
    assert other.expect("PRIVMSG").params == ["dave", "hi back"]
    # A nick freed by quitting can be taken on the other process.
    carol.send("QUIT")
    carol.closed()
    deadline = time.monotonic() + TIMEOUT
    while True:
        other.send("NICK carol")
        reply = other.until_any(("NICK", "433"))[0]
        if reply.command == "NICK":
            break
        assert time.monotonic() < deadline, "carol was never freed"
        time.sleep(0.1)


def test_a_dead_process_is_noticed(pair: tuple[RunningServer, RunningServer]) -> None:
    first, second = pair
    erin = IrcClient(first.port).register("erin")
    erin.join("#watch")
    frank = IrcClient(second.port).register("frank")
    frank.join("#watch")
    erin.expect("JOIN", lambda line: line.source.startswith("frank!"))
    started = time.monotonic()
    first.stop(signal.SIGKILL)
    quit_line = frank.expect("QUIT", timeout=TIMEOUT)
    took = time.monotonic() - started
    assert quit_line.source.startswith("erin!")
    assert quit_line.params[0] == "Server went away"
    assert took < 8
    frank.send("NICK erin")
    assert frank.expect("NICK").params[0] == "erin"
    assert names(frank, "#watch") == {"erin"}


def test_redis_unreachable_at_start(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    argv = [sys.executable, "-m", "chatroom", "server", "127.0.0.1", "-p", "0", "--no-web"]
    argv += ["--data-dir", str(tmp_path), "--cluster", url]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT * 3)
    assert proc.returncode == 1
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "network" in line]
    assert len(errors) == 1 and "Could not join the network" in errors[0]


def test_a_lone_server_never_loads_redis() -> None:
    """Nor msgpack or hiredis: start-up memory of a server alone matters."""
    code = "import sys, chatroom.serve; print({'redis', 'msgpack', 'hiredis'} & set(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "set()"
