"""The composition's start: what `chatroom server` loads before it listens."""

from __future__ import annotations

import subprocess
import sys


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
