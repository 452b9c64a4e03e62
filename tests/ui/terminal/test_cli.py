"""The ``chatroom client`` flags."""

from __future__ import annotations

import subprocess
import sys

from chatroom.cli import build_parser
from chatroom.ui.terminal.cli import config_from_args, run_client


def parse(*argv: str) -> object:
    return build_parser().parse_args(["client", *argv])


def test_defaults_are_the_tutorials() -> None:
    args = parse()
    assert args.func is run_client  # type: ignore[attr-defined]
    config = config_from_args(args)  # type: ignore[arg-type]
    assert (config.host, config.port, config.nick, config.rooms) == (
        "127.0.0.1",
        1060,
        None,
        ("#lobby",),
    )
    assert config.reconnect and not config.tls


def test_flags_reach_the_config() -> None:
    args = parse(
        "chat.example", "-p", "7000", "--nick", "ann", "--room", "dev", "--room", "#ops",
        "--password", "s3cret", "--no-reconnect",
    )  # fmt: skip
    config = config_from_args(args)  # type: ignore[arg-type]
    assert (config.host, config.port, config.nick) == ("chat.example", 7000, "ann")
    assert config.rooms == ("#dev", "#ops")
    assert config.password == "s3cret" and not config.reconnect


def test_tls_defaults_to_port_6697() -> None:
    config = config_from_args(parse("--tls"))  # type: ignore[arg-type]
    assert config.tls and config.port == 6697


def test_account_password_from_flag_env_or_prompt() -> None:
    from chatroom.ui.terminal.cli import account_password

    config = config_from_args(parse("--account-password", "pw", "--account", "acct"), {})  # type: ignore[arg-type]
    assert (config.account_password, config.account) == ("pw", "acct")
    config = config_from_args(parse(), {"CHATROOM_PASSWORD": "from-env"})  # type: ignore[arg-type]
    assert config.account_password == "from-env" and config.password is None
    asked = account_password(parse("--account-password", "-"), {}, ask=lambda _prompt: "typed")  # type: ignore[arg-type]
    assert asked == "typed"


def test_history_and_certificate_flags() -> None:
    config = config_from_args(parse("--history", "0", "--tls", "--trust-new-cert"))  # type: ignore[arg-type]
    assert config.history_lines == 0 and config.trust_new_cert


def test_the_client_loads_nothing_its_first_screen_does_not_need() -> None:
    # importlib.metadata (for the CTCP VERSION reply) cost 10 ms of the start;
    # nothing of the server, its storage or the web belongs in the client.
    code = (
        "import sys, chatroom.cli, chatroom.client.core, chatroom.ui.terminal.app\n"
        "print(sorted(m for m in sys.modules if m == 'importlib.metadata'"
        " or m.startswith(('chatroom.server', 'chatroom.storage', 'chatroom.web', 'PIL'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
