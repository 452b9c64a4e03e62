"""``chatroom status``, ``reload``, ``kick`` and ``ban``: the operator's command line,
talking to the running server over its control socket (transports/control.py), and
the server's end of it (:func:`open_control`, called by serve.py)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatroom.transports.control import SOCKET_NAME, ControlError, ask, serve_control

if TYPE_CHECKING:
    from chatroom.server.config import Config
    from chatroom.server.server import Server
    from chatroom.storage import HistoryStore

log = logging.getLogger("chatroom.server")


def add_operator_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the four commands to ``chatroom``'s subcommands."""
    status = _parser(sub, "status", "who is connected, the rooms, uptime, history size")
    status.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    _parser(sub, "reload", "re-read the config file (as SIGHUP): limits, MOTD, TLS certificate")
    kick = _parser(sub, "kick", "disconnect a user, or take them out of one room")
    kick.add_argument("nick", metavar="NICK")
    kick.add_argument("--room", metavar="ROOM", help="only out of this room")
    kick.add_argument("--reason", metavar="TEXT", help="shown to the user and the room")
    ban = _parser(sub, "ban", "ban a mask from the server (disconnects who matches) or a room")
    ban.add_argument("mask", metavar="MASK", help="nick!user@host, e.g. *!*@203.0.113.9")
    ban.add_argument("--room", metavar="ROOM", help="from this room only (kicks who matches)")
    ban.add_argument("--minutes", type=int, metavar="N", help="a server ban for N minutes only")
    ban.add_argument("--reason", metavar="TEXT", help="shown to who is disconnected or kicked")


def _parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        name,
        help=f"{text} (of the running server)",
        description=f"{text[0].upper()}{text[1:]}: asks the server running with this data "
        "directory, over its control socket (DIR/control.sock). Run it as the server's user.",
    )
    parser.add_argument("--data-dir", metavar="DIR", help="the server's data directory")
    parser.add_argument(
        "--config", metavar="FILE", help="the server's TOML file (for [history] data_dir)"
    )
    parser.set_defaults(func=_run, operator_command=name)
    return parser


def _run(args: argparse.Namespace) -> int:
    # Imported here: `chatroom client` loads none of the server.
    from chatroom.server.config import config_from_mapping, load_config
    from chatroom.storage import default_data_dir

    flags: dict[str, dict[str, object]] = {}
    if args.data_dir is not None:
        flags["history"] = {"data_dir": args.data_dir}
    config = config_from_mapping(flags, load_config(args.config))
    path = (Path(config.data_dir) if config.data_dir else default_data_dir()) / SOCKET_NAME
    request: dict[str, Any] = {"command": args.operator_command}
    for name in ("nick", "mask", "room", "reason", "minutes"):
        if getattr(args, name, None) is not None:
            request[name] = getattr(args, name)
    try:
        answer = ask(path, request)
    except ControlError as exc:
        print(f"chatroom: {exc}", file=sys.stderr)
        return 1
    if not answer.get("ok"):
        print(f"chatroom: {answer.get('error', 'refused')}", file=sys.stderr)
        return 1
    if args.operator_command != "status":
        print(answer.get("message", "done"))
    elif args.json:
        print(json.dumps(answer, indent=2))
    else:
        print(_status_text(answer))
    return 0


def _status_text(answer: dict[str, Any]) -> str:
    size = answer.get("history_bytes")
    lines = [
        f"chatroom {answer.get('version')}, up {_duration(int(answer.get('uptime', 0)))}",
        f"{answer.get('connections', 0)} connections, {len(answer['users'])} users, "
        f"{len(answer['rooms'])} rooms; history "
        + (f"{size / 1e6:.1f} MB" if isinstance(size, int) else "not in a local file"),
    ]
    for user in answer["users"]:
        flags = "".join(mark for mark, on in (("*", user["operator"]), ("S", user["secure"])) if on)
        lines.append(
            f"  {user['nick']:<16} {flags:<2} {user['address']:<20} {' '.join(user['rooms'])}"
        )
    for room in answer["rooms"]:
        lines.append(f"  {room['name']:<24} {room['users']:>5} users  {room['topic']}")
    return "\n".join(lines)


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return (f"{days}d " if days else "") + f"{hours}h {rest // 60}m"


async def open_control(
    server: Server,
    config: Config,
    reload: Callable[[], tuple[bool, str]],
    history: HistoryStore | None,
) -> Callable[[], None] | None:
    """Answer ``chatroom status``, ``reload``, ``kick`` and ``ban`` on the control
    socket in the data directory; return what closes it. None (logged) if it
    cannot be opened: the server runs on without it."""
    from chatroom import __version__
    from chatroom.server.commands.control import handle
    from chatroom.storage import default_data_dir

    path = (Path(config.data_dir) if config.data_dir else default_data_dir()) / SOCKET_NAME
    started = time.monotonic()

    async def answer(request: dict[str, Any]) -> dict[str, Any]:
        reply = await handle(server, request, reload)
        if request.get("command") == "status":
            stored = getattr(history, "path", None)  # SQLite: the file and its log
            reply["version"] = __version__
            reply["uptime"] = round(time.monotonic() - started)
            reply["history_bytes"] = (
                sum(p.stat().st_size for p in (Path(stored), Path(f"{stored}-wal")) if p.exists())
                if stored
                else None
            )
        return reply

    try:
        control = await serve_control(path, answer)
    except (ControlError, OSError) as exc:
        log.warning("No control socket (chatroom status, reload, kick, ban): %s", exc)
        return None

    def close() -> None:
        control.close()
        path.unlink(missing_ok=True)

    return close
