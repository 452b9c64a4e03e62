"""`chatroom gui` as a command: no display, and a whole session in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from chatroom.cli import build_parser
from support.irc_client import IrcClient
from support.server import RunningServer
from support.timeouts import TIMEOUT
from support.xvfb import Xvfb

GUI = [sys.executable, "-m", "chatroom", "gui"]


def gui_env(tmp_path: Path, display: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # never the user's real settings
    if display is not None:
        env["DISPLAY"] = display
    return env


def test_the_gui_command_is_registered() -> None:
    args = build_parser().parse_args(["gui", "chat.example.org", "-p", "6667", "--nick", "al"])
    assert (args.host, args.port, args.nick) == ("chat.example.org", 6667, "al")


def test_without_a_display_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    result = subprocess.run(
        [*GUI, "--nick", "alice"],
        env=gui_env(tmp_path, None),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chatroom: cannot open a window")
    assert "chatroom client" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_session_from_the_command_line(server: RunningServer, xvfb: Xvfb, tmp_path: Path) -> None:
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    proc = subprocess.Popen(
        [*GUI, "127.0.0.1", "-p", str(server.port), "--nick", "carol"],
        env=gui_env(tmp_path, xvfb.display),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        bob.expect("JOIN", lambda line: (line.source or "").startswith("carol!"))
        proc.send_signal(signal.SIGINT)  # Ctrl+C leaves like closing the window
        bob.expect("QUIT", lambda line: (line.source or "").startswith("carol!"))
        _out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        bob.close()
