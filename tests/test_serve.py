"""The composition's start: what `chatroom server` loads before it listens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.ports import free_port
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
# main thread; a second thread waits until both ports accept, then prints which of the
# heavy modules the running server has loaded, and ends the process.
_RUNNING_SERVER_MODULES = """
import os, socket, sys, threading, time
from chatroom.cli import main

HEAVY = {heavy!r}

def report():
    for port in ({irc}, {web}):
        deadline = time.monotonic() + {timeout}
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    os._exit(3)
                time.sleep(0.05)
    time.sleep(0.3)  # let a first client be accepted and served
    print(sorted(name for name in HEAVY if name in sys.modules), flush=True)
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
)


def test_a_running_server_with_the_default_configuration_loads_no_heavy_module(
    tmp_path: Path,
) -> None:
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
    assert out.stdout.strip() == "[]", out.stdout
