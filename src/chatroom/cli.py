"""The ``chatroom`` command: the only place that parses argv and picks exit codes.

Exit codes: 0 success, 1 a runtime failure (cannot listen, cannot connect),
2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence

from chatroom import __version__
from chatroom.errors import ConfigError
from chatroom.operate import add_operator_parsers
from chatroom.ui.terminal.cli import add_client_parser
from chatroom.ui.tk.cli import add_gui_parser

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1060

SERVER_EPILOG = """\
examples:
  chatroom server                      listen on 127.0.0.1:1060 (this machine only)
  chatroom server 0.0.0.0              let everyone on your network connect
  chatroom server 0.0.0.0 -p 6667      ... on the usual IRC port
  chatroom server --config chat.toml   read settings from a TOML file (see docs/configuration.md)
  chatroom server 0.0.0.0 --cluster redis://127.0.0.1:6379/0 --workers 4
                                       4 processes on one port, one chat network in
                                       Redis (see docs/scale-out.md)

Connect with `chatroom client`, `chatroom gui`, or any IRC client (irssi, WeeChat,
HexChat) pointed at HOST and PORT. Stop the server with q + Enter, Ctrl-C or SIGTERM.
"""

BACKUP_EPILOG = """\
examples:
  chatroom backup ~/chat-backup-$(date +%F)
  chatroom backup --data-dir /var/lib/chatroom /srv/backups/chatroom-$(date +%F)

To restore: stop the server; in its data directory move history.db*, accounts.db*
(the -wal and -shm files too) aside; copy the backup's files in; start the server.
See docs/deploy.md. With PostgreSQL (--database), use pg_dump instead.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatroom",
        description="A real-time chat system that speaks IRC.",
    )
    parser.add_argument("--version", action="version", version=f"chatroom {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_server_parser(sub)
    _add_backup_parser(sub)
    _add_passwd_parser(sub)
    add_operator_parsers(sub)
    add_client_parser(sub)
    add_gui_parser(sub)
    return parser


def _add_server_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    server = sub.add_parser(
        "server",
        help="run the chat server",
        description="Run the chat server. Every setting can also come from a TOML file "
        "(--config); flags given here override the file.",
        epilog=SERVER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    server.add_argument(
        "host",
        nargs="?",
        metavar="HOST",
        help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 for every IPv4 address)",
    )
    server.add_argument(
        "-p",
        "--port",
        type=int,
        metavar="PORT",
        help=f"TCP port to listen on (default {DEFAULT_PORT})",
    )
    server.add_argument("--config", metavar="FILE", help="read settings from this TOML file")
    server.add_argument(
        "--name", metavar="NAME", help="server name shown to clients (default 'chatroom')"
    )
    server.add_argument(
        "--default-room",
        metavar="ROOM",
        help="the room created at start, joined by our clients (default #lobby)",
    )
    server.add_argument(
        "--max-clients",
        type=int,
        metavar="N",
        help="most connections at once (0 = unlimited; default 10000)",
    )
    _add_tls_and_web_flags(server)
    _add_storage_and_cluster_flags(server)
    server.add_argument(
        "--no-flood-control",
        action="store_true",
        help="do not slow down clients that send fast (for load tests only)",
    )
    _add_logging_flags(server)
    server.set_defaults(func=_server)


def _add_tls_and_web_flags(server: argparse.ArgumentParser) -> None:
    server.add_argument(
        "--tls",
        action="store_true",
        help="also accept TLS connections (port 6697 unless --tls-port); without "
        "--cert/--key a self-signed certificate is made in the data directory",
    )
    server.add_argument("--tls-port", type=int, metavar="PORT", help="port for TLS connections")
    server.add_argument("--cert", metavar="FILE", help="TLS certificate (PEM, full chain)")
    server.add_argument("--key", metavar="FILE", help="TLS private key (PEM)")
    server.add_argument(
        "--web-port",
        type=int,
        metavar="PORT",
        help="port of the browser client and IRC over WebSocket (default 8080)",
    )
    server.add_argument(
        "--no-web", action="store_true", help="do not serve the browser client (no HTTP port)"
    )


def _add_storage_and_cluster_flags(server: argparse.ArgumentParser) -> None:
    server.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where message history is kept "
        "(default ~/.local/share/chatroom, or $XDG_DATA_HOME/chatroom)",
    )
    server.add_argument(
        "--database",
        metavar="URL",
        help="keep history and accounts in PostgreSQL (postgresql://user:pw@host/db) "
        "instead of SQLite files in the data directory",
    )
    server.add_argument(
        "--cluster",
        metavar="URL",
        help="join the chat network of every server sharing this Redis "
        "(redis://host:6379/0), or this Redis Cluster (redis+cluster://host:7000,host:7001); "
        "see docs/scale-out.md",
    )
    server.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="run N server processes sharing the port (SO_REUSEPORT), one chat network "
        "through --cluster (required); the web port is served by the first one only",
    )
    # Set by --workers on each process it starts: not for people.
    server.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    server.add_argument(
        "--no-history",
        action="store_true",
        help="do not store messages (no history after a restart)",
    )


def _add_backup_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser(
        "backup",
        help="copy the server's history and accounts, safely, even while it runs",
        description="Copy the message history and the accounts (history.db and accounts.db\n"
        "in the data directory, and the self-signed TLS certificate if there is one)\n"
        "into the new directory DEST. The copy is consistent even while the server\n"
        "runs and writes: take it whenever you like, e.g. every night from cron.",
        epilog=BACKUP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backup.add_argument(
        "dest", metavar="DEST", help="directory to create for the copy (must not exist yet)"
    )
    backup.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the server's data directory, as given to `chatroom server --data-dir` "
        "(default ~/.local/share/chatroom, or $XDG_DATA_HOME/chatroom)",
    )
    backup.add_argument(
        "--config",
        metavar="FILE",
        help="the server's TOML file, to read [history] data_dir and [database] url from",
    )
    backup.set_defaults(func=_backup)


def _add_passwd_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    passwd = sub.add_parser(
        "passwd",
        help="hash a password for the config file (operators)",
        description="Read a password (twice, without echo) and print its argon2id hash, "
        "to paste into the [[operators]] section of the config file.",
    )
    passwd.add_argument(
        "--stdin", action="store_true", help="read the password from standard input (for scripts)"
    )
    passwd.set_defaults(func=_passwd)


def _add_logging_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v", "--verbose", action="store_true", help="log every message (DEBUG level)"
    )
    group.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    parser.add_argument(
        "--log",
        action="append",
        default=[],
        metavar="AREA=LEVEL",
        help="the level of one area, e.g. chatroom.cluster=debug (repeatable; "
        "LEVEL alone for every area): debug, info, warning, error",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="json: one object per line (time, level, logger, message) for log shippers",
    )


def _setup_logging(args: argparse.Namespace, worker: int | None = None) -> None:
    from chatroom.logs import parse_levels, setup

    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    areas = parse_levels(args.log)
    setup(level, json_format=args.log_format == "json", areas=areas, worker=worker)


def _server(args: argparse.Namespace) -> int:
    from chatroom.serve import run
    from chatroom.server.config import Config, config_from_mapping, load_config

    # Flags are applied as if they were in the file, so they pass the same checks.
    flags: dict[str, dict[str, object]] = {
        "server": {},
        "limits": {},
        "flood": {},
        "history": {},
        "tls": {},
        "web": {},
    }
    for attr, key in (
        ("host", "host"),
        ("port", "port"),
        ("name", "name"),
        ("default_room", "default_room"),
    ):
        if getattr(args, attr) is not None:
            flags["server"][key] = getattr(args, attr)
    if args.max_clients is not None:
        flags["limits"]["max_clients"] = args.max_clients
    if args.no_flood_control:
        flags["flood"]["enabled"] = False
    if args.data_dir is not None:
        flags["history"]["data_dir"] = args.data_dir
    if args.no_history:
        flags["history"]["enabled"] = False
    if args.database is not None:
        flags["database"] = {"url": args.database}
    if args.cluster is not None:
        flags["cluster"] = {"redis": args.cluster}
    if args.tls or args.tls_port is not None or args.cert is not None:
        flags["tls"]["enabled"] = True
    if args.tls_port is not None:
        flags["tls"]["port"] = args.tls_port
    if args.cert is not None:
        flags["tls"]["cert"] = args.cert
    if args.key is not None:
        flags["tls"]["key"] = args.key
    if args.tls and args.cert is None and args.key is None:
        flags["tls"]["self_signed"] = True
    if args.web_port is not None:
        flags["web"]["port"] = args.web_port
    if args.no_web:
        flags["web"]["enabled"] = False

    def load() -> Config:
        """The file, then the flags: at start, and again at each reload."""
        return config_from_mapping(flags, load_config(args.config))

    config = load()
    if args.worker is not None:
        _setup_logging(args, args.worker)
        return run(config, console=False, worker=True, load=load)
    if args.workers is not None:
        if args.workers < 1:
            raise ConfigError("--workers", "must be at least 1")
        if not config.cluster_redis:
            raise ConfigError(
                "--workers", "needs --cluster redis://HOST:PORT/DB (or [cluster] redis)"
            )
        _setup_logging(args)
        from chatroom.workers import supervise

        return supervise(config, args.arguments, args.workers)
    _setup_logging(args)
    return run(config, load=load)


def _backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from chatroom.server.config import config_from_mapping, load_config
    from chatroom.storage import default_data_dir
    from chatroom.storage.backup import backup_data_dir
    from chatroom.storage.errors import BackupError

    flags: dict[str, dict[str, object]] = {}
    if args.data_dir is not None:
        flags["history"] = {"data_dir": args.data_dir}
    config = config_from_mapping(flags, load_config(args.config))
    if config.database_url:
        print(
            "chatroom: history and accounts are in PostgreSQL ([database] url): back them "
            "up with pg_dump, e.g. pg_dump -Fc -f chatroom.dump DATABASE_URL",
            file=sys.stderr,
        )
        return 1
    data_dir = Path(config.data_dir) if config.data_dir else default_data_dir()
    dest = Path(args.dest)
    try:
        written = backup_data_dir(data_dir, dest)
    except BackupError as exc:
        print(f"chatroom: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"Copied {data_dir / path.name} to {path}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from chatroom.storage.passwords import hash_password

    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("chatroom: the passwords differ", file=sys.stderr)
            return 1
    if not password:
        print("chatroom: the password is empty", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chatroom`` command."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(arguments)
    args.arguments = arguments  # --workers starts its processes with the same ones
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"chatroom: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
