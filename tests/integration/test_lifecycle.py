"""The server process: startup, log lines, config errors, and every way to stop it."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.irc_client import IrcClient
from support.server import RunningServer, ServerFactory
from support.timeouts import TIMEOUT


def run_cli(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatroom", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_logs_like_the_tutorial(server: RunningServer) -> None:
    c = IrcClient(server.port).register("alice")
    server.wait_for_log(r"Accepted a new connection from 127\.0\.0\.1:\d+")
    c.send("JOIN #lobby")
    c.send("PRIVMSG #lobby :secret words")
    c.send("QUIT :bye")
    assert c.closed()
    server.wait_for_log(r"127\.0\.0\.1:\d+ has closed the connection \(Quit: bye\)")
    assert "secret words" not in server.log  # message text only at DEBUG


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_shuts_down_cleanly_and_tells_clients(
    server: RunningServer, sig: signal.Signals
) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    assert server.stop(sig) == 0
    for c in (a, b):
        assert c.expect("ERROR").params[0] == "Server shutting down"
        assert c.closed()
    assert "Closing all connections..." in server.log
    assert "Shutting down the server..." in server.log


def test_q_on_the_console_shuts_down(tmp_path: Path) -> None:
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatroom", "server", "127.0.0.1", "-p", "0"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        close_fds=True,
    )
    os.close(secondary)
    output = b""
    try:
        deadline = time.monotonic() + TIMEOUT
        while b"Type q and Enter" not in output and time.monotonic() < deadline:
            output += os.read(primary, 4096)
        os.write(primary, b"hello\n")
        os.write(primary, b"q\n")
        assert proc.wait(TIMEOUT) == 0
        try:
            while True:
                chunk = os.read(primary, 4096)
                if not chunk:
                    break
                output += chunk
        except OSError:
            pass  # the pty closes with the process
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
    text = output.decode(errors="replace")
    assert "Listening at 127.0.0.1:" in text
    assert "Shutting down the server..." in text


def test_bad_config_value_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[limits]\nnicklen = "long"\n')
    result = run_cli("server", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "chatroom: config: limits.nicklen: must be an integer from 1 to 200, not 'long'"
    ]
    config.write_text("[server]\nnope = 1\n")
    result = run_cli("server", "--config", str(config))
    assert result.returncode == 2
    assert "server.nope: unknown key" in result.stderr
    result = run_cli("server", "--config", str(tmp_path / "missing.toml"))
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_port_in_use_is_a_clear_error(server: RunningServer) -> None:
    result = run_cli("server", "127.0.0.1", "-p", str(server.port))
    assert result.returncode == 1
    assert f"Could not listen at 127.0.0.1:{server.port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_explains_options() -> None:
    result = run_cli("server", "--help")
    assert result.returncode == 0
    for word in ("HOST", "--port", "--config", "1060", "q + Enter"):
        assert word in result.stdout


def test_flags_override_config(server_factory: ServerFactory) -> None:
    server = server_factory("--name", "flagname", config='[server]\nname = "filename"\n')
    c = IrcClient(server.port).register("alice")
    c.send("VERSION")
    assert c.expect("351").source == "flagname"


def test_operator_can_kill(server_factory: ServerFactory, tmp_path: Path) -> None:
    hashed = subprocess.run(
        [sys.executable, "-m", "chatroom", "passwd", "--stdin"],
        input="opensesame\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert hashed.startswith("$argon2id$")
    server = server_factory(config=f'[[operators]]\nname = "root"\npassword = "{hashed}"\n')
    op = IrcClient(server.port).register("boss")
    victim = IrcClient(server.port).register("troll")
    op.send("KILL troll :nope")
    op.expect("481")
    op.send("OPER root wrong")
    op.expect("464")
    op.send("OPER root opensesame")
    op.expect("381")
    op.send("KILL troll :spamming")
    error = victim.expect("ERROR")
    assert "Killed (boss (spamming))" in error.params[0]
    op.send("WHOIS boss")
    op.expect("313")
    assert "opensesame" not in server.log
