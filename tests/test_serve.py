"""The composition's start: what `chatroom server` loads before it listens."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from chatroom.server.collector import YOUNG_THRESHOLD
from support.ports import free_port
from support.server import start_server
from support.timeouts import TIMEOUT


def test_importing_the_server_loads_neither_argon2_nor_optional_libraries() -> None:
    # What a configuration does not use is imported when used: argon2 at the first
    # login, cryptography for a self-signed certificate, websockets for the web port.
    code = (
        "import sys, chatroom.serve, chatroom.cli\n"
        "print(sorted({'argon2', 'cryptography', 'websockets', 'asyncpg', 'redis'}"
        " & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# Run ``chatroom server`` with the default configuration (web port on) in this process's
# main thread; a second thread waits until the IRC port accepts and the web port is bound
# (without connecting to it), then prints which of the heavy modules the running server
# has loaded, and the collector's state; then it asks the web port for the page, prints
# the status line and whether the WebSocket machinery is loaded now, and ends the process.
_RUNNING_SERVER_MODULES = """
import gc, os, socket, sys, threading, time
from chatroom.cli import main

HEAVY = {heavy!r}

def wait(ready):
    deadline = time.monotonic() + {timeout}
    while not ready():
        if time.monotonic() > deadline:
            os._exit(3)
        time.sleep(0.05)

def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False

def bound(port):
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        probe.close()

def report():
    wait(lambda: accepts({irc}))
    wait(lambda: bound({web}))
    time.sleep(0.3)  # let a first client be accepted and served
    print(sorted(name for name in HEAVY if name in sys.modules), flush=True)
    print(gc.get_freeze_count(), gc.get_threshold()[0], flush=True)
    page = socket.create_connection(("127.0.0.1", {web}), {timeout})
    page.sendall(b"GET / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n")
    print(page.makefile("rb").readline().decode().strip(), flush=True)
    print("websockets" in sys.modules, "chatroom.web.listener" in sys.modules, flush=True)
    os._exit(0)

threading.Thread(target=report, daemon=True).start()
main(["server", "127.0.0.1", "-p", "{irc}", "--web-port", "{web}", "--data-dir", {data!r}])
"""

HEAVY_MODULES = (
    "argon2",  # at the first password check
    "cryptography",  # only to make a self-signed certificate
    "PIL",  # at the first image upload (thumbnails)
    "asyncpg",  # --database postgresql://
    "redis",  # --cluster
    "msgpack",  # cluster events
    "prometheus_client",
    "websockets",  # at the web port's first connection
)


def run_default_server(tmp_path: Path) -> list[str]:
    """What :data:`_RUNNING_SERVER_MODULES` prints, one line each."""
    code = _RUNNING_SERVER_MODULES.format(
        heavy=HEAVY_MODULES,
        irc=free_port(),
        web=free_port(),
        timeout=TIMEOUT,
        data=str(tmp_path),
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=3 * TIMEOUT
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_a_running_server_with_the_default_configuration_loads_no_heavy_module(
    tmp_path: Path,
) -> None:
    # websockets too: the web port listens from the start, and its first request loads
    # what serves it (chatroom.web.port) and is answered.
    lines = run_default_server(tmp_path)
    assert lines[0] == "[]"
    assert lines[2:] == ["HTTP/1.1 200 OK", "True True"]


def test_a_listening_server_has_frozen_its_start_and_raised_the_young_threshold(
    tmp_path: Path,
) -> None:
    frozen, threshold = map(int, run_default_server(tmp_path)[1].split())
    assert frozen > 10_000  # modules, classes, functions, the command table...
    assert threshold == YOUNG_THRESHOLD


def test_a_stop_as_soon_as_it_listens_is_a_clean_stop(tmp_path: Path) -> None:
    # "Listening at" is logged before the web port, the collector's settling and the
    # control socket: a SIGTERM sent the moment it appears (as a service manager or a
    # test may) must be the server's own clean stop, not the default handler's death.
    for attempt in range(3):
        (tmp_path / str(attempt)).mkdir()
        server = start_server(tmp_path / str(attempt), "--no-flood-control")
        assert server.stop(signal.SIGTERM) == 0, server.log()
