"""``chatroom status``, ``reload``, ``kick`` and ``ban`` against a running server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.irc_client import IrcClient
from support.server import ServerFactory
from support.timeouts import TIMEOUT


def chatroom(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatroom", *args], capture_output=True, text=True, timeout=TIMEOUT
    )


def test_the_operator_command_line(server_factory: ServerFactory, tmp_path: Path) -> None:
    server = server_factory("--no-flood-control", config="[limits]\nmax_channels = 5\n")
    data = ["--data-dir", str(tmp_path / "data")]
    assert (tmp_path / "data" / "control.sock").stat().st_mode & 0o777 == 0o600
    alice = IrcClient(server.port).register("alice")
    alice.join("#chat")
    bob = IrcClient(server.port).register("bob")
    bob.join("#chat")

    status = chatroom("status", "--json", *data)
    assert status.returncode == 0, status.stderr
    answer = json.loads(status.stdout)
    assert [u["nick"] for u in answer["users"]] == ["alice", "bob"]
    assert answer["history_bytes"] > 0 and answer["uptime"] >= 0
    text = chatroom("status", *data).stdout
    assert "2 users" in text and "#chat" in text

    kicked = chatroom("kick", "bob", "--room", "#chat", "--reason", "calm down", *data)
    assert kicked.stdout == "bob kicked from #chat\n"
    assert alice.expect("KICK").params == ["#chat", "bob", "calm down"]

    banned = chatroom("ban", "bob!*@*", *data)
    assert banned.stdout == "bob!*@* banned from the server; 1 disconnected\n", banned.stderr
    assert bob.closed()

    config_path = Path(server.args[server.args.index("--config") + 1])
    config_path.write_text("[limits]\nmax_channels = 'x'\n")
    refused = chatroom("reload", *data)
    assert refused.returncode == 1
    assert "config: limits.max_channels: must be an integer" in refused.stderr
    config_path.write_text("[limits]\nmax_channels = 1\n")
    assert chatroom("reload", *data).stdout == "reloaded\n"
    alice.send("JOIN #two")
    assert alice.expect("405").params[1] == "#two"

    missing = chatroom("kick", "nobody", *data)
    assert (missing.returncode, missing.stderr) == (1, "chatroom: no user nobody on this server\n")
    server.stop()
    assert not (tmp_path / "data" / "control.sock").exists()
