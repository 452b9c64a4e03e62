"""The connect dialog's memory: server, port and name from last time, kept in
``$XDG_CONFIG_HOME/chatroom/gui.json`` (default ``~/.config/chatroom/gui.json``).

Reading never fails: a missing, unreadable or foreign file gives the defaults,
because a broken settings file must not keep anyone out of the chat. Writing
is atomic (a temporary file renamed over the old one).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from chatroom.client.config import DEFAULT_HOST, DEFAULT_PORT

FILE_NAME = "gui.json"


@dataclass(frozen=True, slots=True)
class ConnectSettings:
    """What the connect dialog asks for."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    nick: str = ""


def settings_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the settings live, following the XDG base directory rules."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or ""
    # XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
    root = Path(base) if os.path.isabs(base) else Path(env.get("HOME") or Path.home()) / ".config"
    return root / "chatroom" / FILE_NAME


def load_settings(path: Path) -> ConnectSettings:
    """The settings saved at ``path``, or the defaults for anything missing or bad."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ConnectSettings()
    if not isinstance(data, dict):
        return ConnectSettings()
    defaults = ConnectSettings()
    host = data.get("host")
    port = data.get("port")
    nick = data.get("nick")
    return ConnectSettings(
        host=host if isinstance(host, str) and host.strip() else defaults.host,
        port=port if isinstance(port, int) and 0 < port < 65536 else defaults.port,
        nick=nick if isinstance(nick, str) else defaults.nick,
    )


def save_settings(path: Path, settings: ConnectSettings) -> None:
    """Write ``settings`` to ``path``, creating its directory. Raises ``OSError``
    if that is impossible (the caller decides whether it matters)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(asdict(settings), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def parse_port(text: str) -> int | None:
    """The port typed in the dialog, or ``None`` if it is not a valid port."""
    text = text.strip()
    if not text.isdigit():
        return None
    port = int(text)
    return port if 0 < port < 65536 else None
