"""chatroom.protocol is sans-I/O: it must not import asyncio, socket, sqlite or time."""

from __future__ import annotations

import ast
from pathlib import Path

import chatroom.protocol

FORBIDDEN = {"asyncio", "socket", "sqlite3", "time", "ssl", "selectors", "threading"}


def test_protocol_package_imports_no_io() -> None:
    root = Path(chatroom.protocol.__file__).parent
    offenders = []
    for path in sorted(root.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
    assert len(list(root.glob("*.py"))) >= 6  # the check really looked at the package
