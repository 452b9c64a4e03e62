"""HELP and HELPOP in memory (Modern IRC: 704, 705, 706, 524)."""

from __future__ import annotations

from chatroom.server.commands.help import syntax
from support.core import Harness, commands, params


async def test_help_alone_lists_the_commands(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("HELP")
    assert commands(replies)[0] == "704" and commands(replies)[-1] == "706"
    assert {line.params[1] for line in replies} == {"*"}
    listed = " ".join(p[2] for p in params(replies, "705")).split()
    for verb in ("PRIVMSG", "JOIN", "CHATHISTORY", "HELP", "INFO", "STATS"):
        assert verb in listed


async def test_help_on_a_command_shows_its_syntax(harness: Harness) -> None:
    alice = await harness.user("alice")
    for asked in ("HELP privmsg", "HELPOP PRIVMSG"):
        replies = await alice.ask(asked)
        assert commands(replies) == ["704", "705", "706"], asked
        assert {line.params[1] for line in replies} == {"PRIVMSG"}
        assert params(replies, "705")[0][2] == "PRIVMSG <target>{,<target>} <text to be sent>"
    replies = await alice.ask("HELP KILL")
    assert params(replies, "705")[-1][2] == "For IRC operators only."


async def test_help_on_an_unknown_subject_is_524(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("HELP FROBNICATE")
    assert params(replies, "524") == [("alice", "FROBNICATE", "No help available on this topic")]


def test_syntax_takes_the_lines_before_the_first_blank_one() -> None:
    assert syntax("JOIN <channel>{,<channel>} [<key>] | JOIN 0\n\nMore.", "JOIN") == [
        "JOIN <channel>{,<channel>} [<key>]",
        "JOIN 0",
    ]
    assert syntax(None, "X") == ["X"]
