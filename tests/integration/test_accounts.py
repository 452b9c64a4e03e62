"""Accounts over real sockets: what needs a real server (its log, real password
hashing, several clients of one account, the grace timer). The commands
themselves are tested in memory in tests/server/commands/test_accounts.py."""

from __future__ import annotations

import time

from support.accounts import PASSWORD, connect_with_sasl, register_account, sasl_plain
from support.irc_client import IrcClient
from support.server import RunningServer, ServerFactory


def test_register_then_log_in_with_plain(server: RunningServer) -> None:
    first = register_account(server, "alice")
    first.send("QUIT")
    c, result = connect_with_sasl(server, "alice", "alice", PASSWORD)
    assert result == "903"
    c.send("WHOIS alice")
    assert c.expect("330").params[1:3] == ["alice", "alice"]
    assert PASSWORD not in server.log


def test_guessing_is_throttled(server: RunningServer) -> None:
    register_account(server, "carol").send("QUIT")
    c = IrcClient(server.port).register("guesser")
    for _ in range(3):
        assert sasl_plain(c, "carol", "wrong-guess") == "904"
    start = time.monotonic()
    # Now even the right password is refused at once, without any hashing.
    assert sasl_plain(c, "carol", PASSWORD) == "904"
    assert time.monotonic() - start < 1.0


def test_account_in_messages_joins_and_notify(server: RunningServer) -> None:
    register_account(server, "erin").send("QUIT")
    watcher = IrcClient(server.port).register(
        "watcher", "account-tag extended-join account-notify message-tags"
    )
    watcher.join("#acc")
    erin, result = connect_with_sasl(server, "erin", "erin", PASSWORD)
    assert result == "903"
    erin.send("JOIN #acc")
    joined = watcher.expect("JOIN")
    assert joined.params == ["#acc", "erin", "erin real"]
    erin.send("PRIVMSG #acc :signed")
    message = watcher.expect("PRIVMSG")
    assert message.tags is not None and message.tags["account"] == "erin"
    # A second client logged in to the same account at once.
    phone, result = connect_with_sasl(server, "erin_phone", "erin", PASSWORD)
    assert result == "903"
    phone.send("JOIN #acc")
    assert watcher.expect("JOIN").params[1] == "erin"
    # account-notify: a late login is announced to those sharing a channel.
    late = IrcClient(server.port).register("frank")
    late.join("#acc")
    register = "REGISTER * * :another good password"
    late.send(register)
    late.expect("REGISTER")
    notify = watcher.expect("ACCOUNT")
    assert notify.source.startswith("frank!") and notify.params == ["frank"]


def test_registered_nick_is_taken_back(server_factory: ServerFactory) -> None:
    server = server_factory("--no-flood-control", config="[accounts]\nnick_grace = 1\n")
    register_account(server, "grace").send("QUIT")
    impostor = IrcClient(server.port).register("grace", "standard-replies")
    note = impostor.expect("NOTE")
    assert note.params[1] == "NICK_REGISTERED"
    renamed = impostor.expect("NICK", timeout=10)
    assert renamed.params[0].startswith("Guest")
    # The owner, logging in, keeps it.
    owner, result = connect_with_sasl(server, "grace", "grace", PASSWORD)
    assert result == "903"
    assert not [line for line in owner.collect(1.5) if line.command == "NICK"]


def test_reclaiming_a_protected_nick_does_not_restart_the_grace(
    server_factory: ServerFactory,
) -> None:
    server = server_factory("--no-flood-control", config="[accounts]\nnick_grace = 1\n")
    register_account(server, "owner").send("QUIT")
    c = IrcClient(server.port).register("owner")  # no standard-replies: a NOTICE
    assert "is registered" in c.expect("NOTICE", lambda line: line.params[0] == "owner").params[1]
    c.send("NICK owner_")
    c.expect("NICK")
    c.collect(1.2)  # the grace ran out while away from the nick
    c.send("NICK owner")
    c.expect("NICK", lambda line: line.params[0] == "owner")
    renamed = c.expect("NICK", lambda line: line.params[0].startswith("Guest"), timeout=5)
    assert renamed.params[0].startswith("Guest")
