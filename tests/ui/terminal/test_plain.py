"""Plain mode through pipes: one line in is one message, one message is one line out."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from support.irc_client import IrcClient
from support.ports import free_port
from support.server import RunningServer
from support.timeouts import TIMEOUT


def client_argv(server_port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "chatroom", "client", "127.0.0.1", "-p", str(server_port), *args]


def run_piped(argv: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, input=stdin, capture_output=True, text=True, timeout=TIMEOUT, encoding="utf-8"
    )


def test_each_input_line_is_one_message_and_eof_quits(server: RunningServer) -> None:
    peer = IrcClient(server.port).register("peer")
    peer.join("#lobby")
    done = run_piped(
        client_argv(server.port, "--nick", "bot"), "hi there\n\n   \n/me beeps\nlast 😀\n"
    )
    assert done.returncode == 0, done.stderr
    assert "All set! Leave the chatroom anytime by typing 'QUIT'" in done.stdout
    got = [peer.expect("PRIVMSG").params[1] for _ in range(3)]
    assert got == ["hi there", "\x01ACTION beeps\x01", "last 😀"]
    assert peer.expect("QUIT").source.startswith("bot!")
    assert not [line for line in peer.collect(0.2) if line.command == "PRIVMSG"]  # no blanks
    peer.close()


def test_name_is_read_from_the_first_line(server: RunningServer) -> None:
    peer = IrcClient(server.port).register("peer")
    peer.join("#lobby")
    done = run_piped(client_argv(server.port), "two words\nrobo\nhello\n")
    assert done.returncode == 0, done.stderr
    assert "Your name: " in done.stdout and "spaces" in done.stdout
    assert "Welcome, robo! Getting ready to send and receive messages..." in done.stdout
    line = peer.expect("PRIVMSG")
    assert line.source.startswith("robo!") and line.params == ["#lobby", "hello"]
    peer.close()


def test_each_received_message_is_one_output_line(server: RunningServer) -> None:
    proc = subprocess.Popen(
        client_argv(server.port, "--nick", "listener"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        deadline = time.monotonic() + TIMEOUT
        while "All set!" not in proc.stdout.readline():
            assert time.monotonic() < deadline and proc.poll() is None
        peer = IrcClient(server.port).register("peer")
        peer.join("#lobby")
        peer.send("PRIVMSG #lobby :first message")
        peer.send("PRIVMSG listener :a secret: ünïcode ✓")
        lines = []
        while len(lines) < 3:  # the join notice, then the two messages
            lines.append(proc.stdout.readline().rstrip("\n"))
        assert lines[0].endswith("-- peer has joined #lobby. Say hi!")
        assert lines[1].endswith(" peer: first message")
        assert lines[2].endswith(" [peer] peer: a secret: ünïcode ✓")
        proc.stdin.close()  # end of input: quit cleanly
        assert proc.wait(TIMEOUT) == 0
        peer.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_connection_refused_through_pipes() -> None:
    port = free_port()
    done = run_piped(client_argv(port, "--nick", "x"), "hello\n")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Could not connect to 127.0.0.1:{port}: connection refused"
    ]
    assert "Traceback" not in done.stdout + done.stderr


def test_plain_flag_forces_plain_mode_even_with_a_tty_like_env(server: RunningServer) -> None:
    env = dict(os.environ, TERM="xterm")
    done = subprocess.run(
        client_argv(server.port, "--nick", "flat", "--plain"),
        input="QUIT\n",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
    )
    assert done.returncode == 0
    assert "\x1b[" not in done.stdout  # no escape sequences: safe to parse
