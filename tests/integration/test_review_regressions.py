"""Regressions for bugs a review of the server found; each was reproduced first."""

from __future__ import annotations

import socket

from chatroom.storage.passwords import hash_password
from support.accounts import register_account
from support.irc_client import IrcClient
from support.server import RunningServer, ServerFactory


def alive(c: IrcClient, token: str = "alive") -> None:
    c.send(f"PING {token}")
    assert c.expect("PONG").params[-1] == token


def test_cr_inside_a_line_is_refused_and_nothing_is_stored(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    a.join("#cr")
    a.send_raw(b"TOPIC #cr :pwned\rx\r\n")
    assert a.expect("FAIL").params[1] == "INVALID_LINE"
    a.send_raw(b"USER x 0 * :real\rname\r\n")
    a.expect("FAIL")
    b = IrcClient(server.port).register("bob")
    b.send("JOIN #cr")
    b.expect("366")
    b.send("TOPIC #cr")
    b.expect("331")  # no topic was set
    alive(a)
    alive(b)


def test_a_hostile_mask_does_not_stall_the_server(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    a.send("SETNAME :" + "a" * 100)
    other = IrcClient(server.port).register("bob")
    a.send("WHO " + "*a" * 40 + "*b")  # exponential for a backtracking regex
    a.expect("315")
    alive(other)


def test_empty_parameters_do_not_drop_the_connection(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    for line in (
        "NAMES #lobby,",
        "WHO :",
        "WHOIS :",
        "WHOWAS :",
        "MOTD :",
        "PRIVMSG , :hi",
        "KICK #lobby a,,b",
        "MODE #lobby +o :",
        "MODE #lobby +l :",
    ):
        a.send(line)
    alive(a)
    a.join("#m")
    a.send("MODE #m +b :evil mask")
    a.send("MODE #m +b ::x!y@z")
    a.send("MODE #m +k ::x")
    a.send("MODE #m +b")
    a.until("368")
    a.send("MODE #m")
    a.expect("324")
    alive(a)


def test_taking_a_nick_does_not_reveal_its_private_history(server: RunningServer) -> None:
    caps = "batch server-time message-tags draft/chathistory"
    mallory = IrcClient(server.port).register("mallory", caps)
    alice = IrcClient(server.port).register("alicex")
    bob = IrcClient(server.port).register("bobx")
    alice.send("PRIVMSG bobx :a secret")
    bob.expect("PRIVMSG")
    bob.send("QUIT")
    assert bob.closed()
    mallory.send("NICK bobx")
    mallory.expect("NICK")
    mallory.send("CHATHISTORY LATEST alicex * 50")
    start = mallory.expect("BATCH")
    lines = mallory.until("BATCH")
    assert [line.command for line in lines] == ["BATCH"], lines
    assert start.params[1] == "chathistory"


def test_invites_only_to_existing_channels_and_never_past_a_ban(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    m = IrcClient(server.port).register("mallory")
    m.send("INVITE mallory #staff")
    m.expect("403")
    a.join("#staff")
    a.send("MODE #staff +b mallory!*@*")
    a.expect("MODE")
    a.send("INVITE mallory #staff")
    a.expect("341")
    m.send("JOIN #staff")
    m.expect("474")


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


def test_oper_guessing_is_throttled(server_factory: ServerFactory) -> None:
    config = f'[[operators]]\nname = "op"\npassword = "{hash_password("right")}"\n'
    server = server_factory("--no-flood-control", config=config)
    c = IrcClient(server.port).register("guesser")
    for i in range(3):
        c.send(f"OPER op wrong{i}")
        c.expect("464")
    c.send("OPER op right")
    c.expect("464")  # refused without checking: too many failures


def test_chanserv_among_other_targets_answers_once(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice", "labeled-response batch echo-message")
    a.join("#lobby")
    a.send("@label=one PRIVMSG ChanServ,#lobby :INFO #lobby")
    lines = a.collect(1.0)
    labels = [line for line in lines if line.tags and line.tags.get("label") == "one"]
    assert len(labels) == 1


def test_a_message_to_yourself_arrives(server: RunningServer) -> None:
    a = IrcClient(server.port).register("narcissus")
    a.send("PRIVMSG narcissus :hello me")
    assert a.expect("PRIVMSG").params == ["narcissus", "hello me"]


def test_messages_before_an_abrupt_close_come_before_its_quit(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    a.join("#lobby")
    for attempt in range(3):
        raw = socket.create_connection(("127.0.0.1", server.port))
        raw.sendall(f"NICK gone{attempt}\r\nUSER g 0 * :g\r\nJOIN #lobby\r\n".encode())
        a.expect("JOIN", lambda line, n=attempt: line.source.startswith(f"gone{n}!"))
        raw.sendall(b"PRIVMSG #lobby :last words\r\n")
        raw.close()
        seen = [line.command for line in a.until("QUIT")]
        assert seen[-2:] == ["PRIVMSG", "QUIT"]


def test_kline_refuses_a_mask_it_could_not_show(server_factory: ServerFactory) -> None:
    config = f'[[operators]]\nname = "op"\npassword = "{hash_password("pw")}"\n'
    server = server_factory("--no-flood-control", config=config)
    op = IrcClient(server.port).register("sheriff")
    op.send("OPER op pw")
    op.expect("381")
    op.send("KLINE :a b")
    assert op.expect("FAIL").params[:2] == ["KLINE", "INVALID_MASK"]
    alive(op)
