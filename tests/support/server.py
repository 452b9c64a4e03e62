"""Chatroom servers in subprocesses, for the integration tests.

:func:`start_server` runs ``chatroom server`` on 127.0.0.1 and waits until it listens;
the :class:`RunningServer` it returns reads the log and stops the process. The
``server_factory`` and ``server`` fixtures (tests/conftest.py) start them for a test
and stop them at teardown; :func:`cluster_member` starts one that joins a network in Redis.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from support.timeouts import TIMEOUT

_LISTENING = re.compile(r"Listening at 127\.0\.0\.1:(\d+)")
_WEB = re.compile(r"Web chat at https?://127\.0\.0\.1:(\d+)/")


@dataclass
class RunningServer:
    """A ``chatroom server`` subprocess listening on 127.0.0.1:``port``."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    args: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    web_port: int = 0  # the browser client's HTTP/WebSocket port; 0 with --no-web

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = TIMEOUT) -> re.Match[str]:
        """Wait until the server's log matches ``pattern``; return the match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            match = regex.search(self.log)
            if match:
                return match
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"server log never matched {pattern!r}:\n{self.log}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = TIMEOUT) -> int:
        """Send ``sig`` and wait for exit; return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_server(
    tmp_path: Path,
    *args: str,
    port: int = 0,
    config: str | None = None,
    stdin: int | None = subprocess.DEVNULL,
    command: Sequence[str] = (sys.executable, "-m", "chatroom"),
) -> RunningServer:
    """Start ``chatroom server`` on 127.0.0.1 and wait until it listens.

    ``config`` is TOML text written to a file and passed with ``--config``.
    Port 0 lets the system pick a free port (read back from the log). The web
    listener gets a free port too unless ``--web-port`` or ``--no-web`` is given
    (never the default 8080, which may be in use on the machine). ``command`` is how
    ``chatroom`` is run (default: this interpreter's, i.e. the source tree under test).
    """
    argv = [*command, "server", "127.0.0.1", "-p", str(port), *args]
    if "--data-dir" not in args:  # never touch the user's real history
        argv += ["--data-dir", str(tmp_path / "data")]
    web = "--no-web" not in args
    if web and "--web-port" not in args:
        argv += ["--web-port", "0"]
    if config is not None:
        config_path = tmp_path / f"server-{time.monotonic_ns()}.toml"
        config_path.write_text(config)
        argv += ["--config", str(config_path)]
    log_path = tmp_path / f"server-{time.monotonic_ns()}.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(argv, stdin=stdin, stdout=log_file, stderr=subprocess.STDOUT)
    running = RunningServer(proc, 0, log_path, argv)
    try:
        running.port = int(running.wait_for_log(_LISTENING.pattern).group(1))
        if web:
            running.web_port = int(running.wait_for_log(_WEB.pattern).group(1))
    except AssertionError:
        running.stop(signal.SIGKILL)
        raise
    return running


ServerFactory = Callable[..., RunningServer]


def cluster_member(
    factory: ServerFactory, redis_url: str, *args: str, **kwargs: object
) -> RunningServer:
    """A server from ``factory`` that joins the network in Redis at ``redis_url``
    (``--cluster``), with flood control and the web listener off as the scale-out tests
    want; ``args`` (more flags) and ``kwargs`` (``config=``) go to ``factory``."""
    return factory("--no-flood-control", "--no-web", "--cluster", redis_url, *args, **kwargs)
