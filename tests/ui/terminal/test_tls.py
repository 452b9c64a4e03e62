"""The terminal client over TLS to a self-signed server: asked on first use,
silent afterwards, refused in plain mode unless --trust-new-cert, and a loud
refusal (exit 1) once the certificate changes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support.pty import PtyClient
from support.server import RunningServer, ServerFactory
from support.timeouts import TIMEOUT

Spawn = Callable[..., PtyClient]


def tls_server(factory: ServerFactory, data: Path, port: int = 0) -> tuple[RunningServer, int]:
    server = factory("--tls", "--tls-port", str(port), "--data-dir", str(data))
    match = re.search(r"Listening for TLS at 127\.0\.0\.1:(\d+)", server.log)
    assert match, server.log
    return server, int(match.group(1))


def plain_client(port: int, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "chatroom", "client", "--tls", "-p", str(port)]
    return subprocess.run(
        [*argv, "--nick", "bot", "--plain", "--no-reconnect", *flags],
        input="hello over TLS\n",
        capture_output=True,
        text=True,
        env={**env},
        timeout=TIMEOUT * 2,
    )


def test_first_use_then_silent_then_changed(
    server_factory: ServerFactory, spawn: Spawn, tmp_path: Path
) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    server, port = tls_server(server_factory, tmp_path / "one")
    fingerprint = re.search(r"([0-9A-F]{2}(?::[0-9A-F]{2}){31})", server.log)
    assert fingerprint

    refused = plain_client(port, env)
    assert refused.returncode == 1
    assert "run again with --trust-new-cert" in refused.stderr
    assert fingerprint.group(1) in refused.stderr

    term = spawn(
        "--tls", "-p", str(port), "--nick", "alice", env={"XDG_CONFIG_HOME": env["XDG_CONFIG_HOME"]}
    )
    term.expect(fingerprint.group(1))
    term.expect("Trust this certificate? [y/N]")
    term.enter("y")
    term.expect("Remembered the certificate")
    term.expect("All set!")
    term.enter("QUIT")
    assert term.wait_exit() == 0

    silent = plain_client(port, env)
    assert silent.returncode == 0, silent.stderr
    assert "fingerprint" not in silent.stderr

    server.stop(signal.SIGTERM)
    tls_server(server_factory, tmp_path / "two", port=port)
    changed = plain_client(port, env, "--trust-new-cert")  # never overrides a change
    assert changed.returncode == 1
    assert "HAS CHANGED" in changed.stderr and fingerprint.group(1) in changed.stderr
    assert str(tmp_path / "config" / "chatroom" / "known_servers.json") in changed.stderr
