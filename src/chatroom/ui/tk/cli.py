"""The ``chatroom gui`` subcommand: flags, then the desktop window.

tkinter and the client core are imported inside :func:`run_gui`, so the other
subcommands start without them, and a Python without tkinter (or a machine
without a display) gets one clear line and exit code 1, not a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
from types import FrameType

EPILOG = """\
examples:
  chatroom gui                          ask for server and name (remembered for next time)
  chatroom gui chat.example.org         ... with this server filled in
  chatroom gui HOST -p 6667 --nick alice   connect at once, no questions

In the window: Enter sends, Shift+Enter starts a new line, Up recalls, Tab
completes names, the + button joins a room, double-click a person to chat
privately, /help lists the commands. Closing the window leaves the chat.
"""

NO_WINDOW = "chatroom: cannot open a window ({why}); chat from a terminal with `chatroom client`"


def add_gui_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``gui`` subcommand to the ``chatroom`` parser."""
    parser = sub.add_parser(
        "gui",
        help="chat in a desktop window",
        description="Chat in a desktop window (Tk). Without --nick, a dialog asks for the "
        "server and your name.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("host", nargs="?", metavar="HOST", help="server (default: as last time)")
    parser.add_argument("-p", "--port", type=int, metavar="PORT", help="server port (default 1060)")
    parser.add_argument("--nick", metavar="NAME", help="your name; connect without asking")
    parser.add_argument(
        "--room",
        action="append",
        metavar="ROOM",
        help="room to join at start (default #lobby); repeat for several",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="connect with TLS (port 6697 unless -p); a self-signed certificate is shown "
        "and remembered on first use",
    )
    parser.add_argument(
        "--trust-new-cert",
        action="store_true",
        help="with --tls: accept a certificate never seen before without asking",
    )
    parser.add_argument(
        "--account-password",
        metavar="PASSWORD",
        help="your account's password, to log in while connecting "
        "(default: $CHATROOM_PASSWORD if set; the connect dialog also asks)",
    )
    parser.set_defaults(func=run_gui)


def run_gui(args: argparse.Namespace) -> int:
    """Open the window and chat until it is closed. Returns the exit code: 0 when
    the user left, 1 when no window could be opened or the connection failed."""
    try:
        import tkinter
    except ImportError:
        print(NO_WINDOW.format(why="this Python has no tkinter"), file=sys.stderr)
        return 1
    try:
        root = tkinter.Tk(className="Chatroom")
    except tkinter.TclError as exc:
        print(NO_WINDOW.format(why=str(exc).rstrip(".") or "no display"), file=sys.stderr)
        return 1

    from chatroom.client.config import ClientConfig
    from chatroom.ui.tk.app import TkChatApp
    from chatroom.ui.tk.settings import ConnectSettings, load_settings, settings_path

    path = settings_path()
    saved = load_settings(path)
    rooms = tuple(r if r.startswith("#") else "#" + r for r in (args.room or ["#lobby"]))
    host = args.host or saved.host
    port = args.port or (saved.port if args.host in (None, saved.host) else ConnectSettings().port)
    if args.tls and args.port is None:
        port = 6697
    password = args.account_password or os.environ.get("CHATROOM_PASSWORD") or None
    base = ClientConfig(
        host,
        port,
        rooms=rooms,
        tls=args.tls,
        trust_new_cert=args.trust_new_cert,
        account_password=password,
    )
    app = TkChatApp(root, settings_file=path, config=base)
    if args.nick:
        app.start(dataclasses.replace(base, nick=args.nick))
    else:
        app.ask(ConnectSettings(host, port, saved.nick))

    # Ctrl+C in the terminal leaves like closing the window (QUIT sent). Tk only
    # runs Python between its events, so the handler asks for a close at the next one.
    def interrupted(_signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(tkinter.TclError):  # the window may be gone already
            root.after_idle(app.close)

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        root.mainloop()
    finally:
        signal.signal(signal.SIGINT, previous)
        app.close()
        app.wait()
    return app.exit_code
