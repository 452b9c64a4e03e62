"""Parsing what the user types into actions."""

from __future__ import annotations

import pytest

from chatroom.client.commands import (
    Away,
    ChangeNick,
    Close,
    Help,
    Join,
    ListRooms,
    Names,
    Part,
    Problem,
    Quit,
    Raw,
    SendAction,
    SendMessage,
    Switch,
    Topic,
    command_names,
    help_lines,
    parse_input,
)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("hello", SendMessage(None, "hello")),
        ("  spaced  out ", SendMessage(None, "  spaced  out ")),
        ("hello\n", SendMessage(None, "hello")),
        ("//not a command", SendMessage(None, "/not a command")),
        ("QUIT", Quit()),
        ("  QUIT  ", Quit()),
        ("/quit see you", Quit("see you")),
        ("/exit", Quit()),
        ("/join #dev", Join("#dev")),
        ("/join dev", Join("#dev")),
        ("/JOIN #dev key", Join("#dev", "key")),
        ("/j #dev", Join("#dev")),
        ("/part", Part(None)),
        ("/part #dev bye all", Part("#dev", "bye all")),
        ("/part bye all", Part(None, "bye all")),
        ("/msg bob hi there", SendMessage("bob", "hi there")),
        ("/me waves", SendAction(None, "waves")),
        ("/nick alice2", ChangeNick("alice2")),
        ("/topic", Topic(None, None)),
        ("/topic new topic", Topic(None, "new topic")),
        ("/topic #dev new topic", Topic("#dev", "new topic")),
        ("/names", Names(None)),
        ("/who #dev", Names("#dev")),
        ("/names dev", Names("#dev")),
        ("/list", ListRooms()),
        ("/away lunch", Away("lunch")),
        ("/away", Away(None)),
        ("/switch 2", Switch("2")),
        ("/close", Close(None)),
        ("/close bob", Close("bob")),
        ("/help", Help(None)),
        ("/help /join", Help("join")),
        ("/quote PING x", Raw("PING x")),
    ],
)
def test_parse_input(text: str, action: object) -> None:
    assert parse_input(text) == action


@pytest.mark.parametrize("text", ["", "   ", "\n", "\r\n"])
def test_blank_input_gives_nothing(text: str) -> None:
    assert parse_input(text) is None


@pytest.mark.parametrize(
    "text", ["/join", "/msg bob", "/msg", "/me", "/nick", "/nick a b", "/switch", "/quote"]
)
def test_missing_arguments_show_the_usage(text: str) -> None:
    action = parse_input(text)
    assert isinstance(action, Problem)
    assert action.text.startswith("Usage: /")


def test_unknown_command_is_a_problem_not_a_message() -> None:
    action = parse_input("/frobnicate now")
    assert isinstance(action, Problem)
    assert "/frobnicate" in action.text and "/help" in action.text


def test_quit_is_only_the_exact_word() -> None:
    assert parse_input("quit") == SendMessage(None, "quit")
    assert parse_input("QUIT now") == SendMessage(None, "QUIT now")


def test_command_names_include_aliases() -> None:
    names = command_names()
    assert "/join" in names and "/who" in names and "/quit" in names


def test_help_lists_every_command() -> None:
    text = "\n".join(help_lines())
    for name in ("/join", "/part", "/msg", "/me", "/nick", "/topic", "/names", "/list"):
        assert name in text
    assert help_lines("msg") == ["/msg NICK TEXT: send a private message and open a private chat"]
    assert "No command" in help_lines("nope")[0]
