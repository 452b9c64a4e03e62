"""The ``chatroom client`` subcommand: flags, then the terminal or plain UI.

Heavy imports (prompt_toolkit, the client core) happen inside :func:`run_client`
so that ``chatroom server`` starts without loading them.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatroom.client.config import ClientConfig

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1060
DEFAULT_TLS_PORT = 6697
PASSWORD_ENV = "CHATROOM_PASSWORD"

EPILOG = """\
examples:
  chatroom client                       connect to 127.0.0.1:1060 and join #lobby
  chatroom client chat.example.org      ... to another machine
  chatroom client HOST -p 6667 --nick alice --room '#dev'
  echo hi | chatroom client --nick bot  send one message from a script (plain mode)
  chatroom client HOST --tls --nick alice --account-password -
                                        TLS, and log in to the account "alice"

In the chat: type to talk, /help for commands, Tab completes, Up/Down recall,
Alt+number switches rooms, QUIT or /quit leaves.
"""


def add_client_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``client`` subcommand to the ``chatroom`` parser."""
    parser = sub.add_parser(
        "client",
        help="chat from this terminal",
        description="Chat from a terminal. Reads lines from standard input and prints "
        "one line per message when it is not a terminal (or with --plain).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "host", nargs="?", default=DEFAULT_HOST, metavar="HOST", help="server (default %(default)s)"
    )
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        metavar="PORT",
        help=f"server port (default {DEFAULT_PORT}, or {DEFAULT_TLS_PORT} with --tls)",
    )
    parser.add_argument("--nick", metavar="NAME", help="your name (asked for when not given)")
    parser.add_argument(
        "--room",
        action="append",
        metavar="ROOM",
        help="room to join at start (default #lobby); repeat for several",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="connect with TLS; a self-signed certificate is shown and remembered on first use",
    )
    parser.add_argument(
        "--trust-new-cert",
        action="store_true",
        help="with --tls: accept (and remember) a server certificate never seen before "
        "without asking; a certificate that changed is still refused",
    )
    parser.add_argument(
        "--password", metavar="PASSWORD", help="the server's password, if it has one (rare)"
    )
    parser.add_argument(
        "--account-password",
        metavar="PASSWORD",
        help="your account's password: log in while connecting ('-' asks for it; "
        f"default: ${PASSWORD_ENV} if set)",
    )
    parser.add_argument(
        "--account", metavar="NAME", help="the account to log in to (default: your name)"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=50,
        metavar="N",
        help="lines of history to show when joining a room (default %(default)s, 0 for none)",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="plain lines in and out, even on a terminal (automatic when piped)",
    )
    parser.add_argument(
        "--no-reconnect",
        action="store_true",
        help="exit (code 1) when the connection is lost instead of reconnecting",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log protocol lines to stderr")
    parser.set_defaults(func=run_client)


def account_password(
    args: argparse.Namespace,
    environ: Mapping[str, str] | None = None,
    ask: Callable[[str], str] | None = None,
) -> str | None:
    """The account password: ``--account-password`` (``-``: asked for without
    echo), else ``$CHATROOM_PASSWORD``, else ``None``. A password on the command
    line is visible to other local users (``ps``); the other two ways are not."""
    value = args.account_password
    if value == "-":
        if ask is None:
            import getpass

            ask = getpass.getpass
        return ask("Account password: ") or None
    if value:
        return str(value)
    env = os.environ if environ is None else environ
    return env.get(PASSWORD_ENV) or None


def config_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> ClientConfig:
    """The client settings the flags ask for (``-`` passwords are not asked here)."""
    from chatroom.client.config import ClientConfig

    rooms = tuple(r if r.startswith("#") else "#" + r for r in (args.room or ["#lobby"]))
    port = args.port if args.port is not None else DEFAULT_TLS_PORT if args.tls else DEFAULT_PORT
    return ClientConfig(
        host=args.host,
        port=port,
        nick=args.nick,
        rooms=rooms,
        tls=args.tls,
        password=args.password,
        reconnect=not args.no_reconnect,
        account=args.account,
        account_password=None if args.account_password == "-" else account_password(args, environ),
        history_lines=max(args.history, 0),
        trust_new_cert=args.trust_new_cert,
    )


def run_client(args: argparse.Namespace) -> int:
    """Run the client as the flags say; return the exit code (0: the user quit,
    1: could not connect, lost the connection with --no-reconnect, or refused)."""
    import asyncio

    from chatroom.client.core import ChatClient

    config = config_from_args(args)
    if args.account_password == "-":
        try:
            config = dataclasses.replace(config, account_password=account_password(args))
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 1
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    interactive = not args.plain and sys.stdin.isatty() and sys.stdout.isatty()

    async def main() -> int:
        client = ChatClient(config)
        if interactive:
            from chatroom.ui.terminal.app import TerminalApp

            reason = await TerminalApp(client).run()
        else:
            from chatroom.ui.terminal.plain import PlainApp

            reason = await PlainApp(client).run()
        return reason.exit_code

    return asyncio.run(main())
