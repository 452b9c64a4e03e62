"""Registration over real sockets: CAP, PASS, NICK, USER, PING, QUIT."""

from __future__ import annotations

from conftest import RunningServer, ServerFactory
from irc_client import IrcClient


def test_plain_registration_gets_welcome_burst(server: RunningServer) -> None:
    c = IrcClient(server.port)
    c.send("NICK alice")
    c.send("USER alice 0 * :Alice Liddell")
    welcome = c.expect("001")
    assert welcome.params[0] == "alice"
    assert welcome.params[1] == "Welcome to the chatroom Network, alice!~alice@127.0.0.1"
    for numeric in ("002", "003", "004"):
        c.expect(numeric)
    isupport = c.expect("005")
    assert "CASEMAPPING=ascii" in isupport.params
    assert "NICKLEN=32" in isupport.params or "NICKLEN=32" in c.expect("005").params
    c.expect("251")
    c.expect("375")
    c.expect("376")


def test_cap_negotiation_suspends_registration(server: RunningServer) -> None:
    c = IrcClient(server.port)
    c.send("CAP LS 302")
    ls = c.expect("CAP", lambda line: line.params[1] == "LS")
    offered = ls.params[-1].split()
    for cap in ("message-tags", "server-time", "echo-message", "batch", "labeled-response"):
        assert cap in offered
    c.send("NICK bob")
    c.send("USER bob 0 * :Bob")
    c.send("CAP REQ :server-time bogus-cap")
    nak = c.expect("CAP", lambda line: line.params[1] == "NAK")
    assert nak.params[2] == "server-time bogus-cap"
    c.send("CAP REQ :server-time echo-message")
    c.expect("CAP", lambda line: line.params[1] == "ACK")
    assert not [line for line in c.collect(0.3) if line.command == "001"]
    c.send("CAP LIST")
    listed = c.expect("CAP", lambda line: line.params[1] == "LIST")
    assert set(listed.params[-1].split()) >= {"server-time", "echo-message"}
    c.send("CAP END")
    c.expect("001")


def test_nick_errors(server: RunningServer) -> None:
    holder = IrcClient(server.port).register("taken")
    c = IrcClient(server.port)
    c.send("NICK")
    c.expect("431")
    c.send("NICK 1bad")
    assert c.expect("432").params[1] == "1bad"
    c.send("NICK " + "a" * 33)
    c.expect("432")
    c.send("NICK TAKEN")
    assert c.expect("433").params[1] == "TAKEN"
    c.send("NICK fine")
    c.send("USER u 0 * :U")
    c.expect("001")
    holder.close()


def test_commands_before_registration_get_451(server: RunningServer) -> None:
    c = IrcClient(server.port)
    c.send("JOIN #lobby")
    c.expect("451")
    c.send("PRIVMSG #lobby :hi")
    c.expect("451")
    c.send("PING token")
    pong = c.expect("PONG")
    assert pong.params[-1] == "token"


def test_quit_before_registration_gets_error(server: RunningServer) -> None:
    c = IrcClient(server.port)
    c.send("QUIT")
    error = c.expect("ERROR")
    assert "Quit" in error.params[0]
    assert c.closed()


def test_server_password(server_factory: ServerFactory) -> None:
    server = server_factory(config='[server]\npassword = "sesame"\n')
    wrong = IrcClient(server.port)
    wrong.send("PASS nope")
    wrong.send("NICK eve")
    wrong.send("USER eve 0 * :Eve")
    wrong.expect("464")
    assert "Password incorrect" in wrong.expect("ERROR").params[0]
    assert wrong.closed()
    missing = IrcClient(server.port)
    missing.send("NICK eve2")
    missing.send("USER eve 0 * :Eve")
    missing.expect("464")
    right = IrcClient(server.port)
    right.send("PASS sesame")
    right.register("ann")


def test_ping_pong_both_ways(server_factory: ServerFactory) -> None:
    server = server_factory(config="[timeouts]\nping_interval = 1\nping_timeout = 1\n")
    c = IrcClient(server.port).register("pinger")
    c.expect("PING", timeout=10)  # answered automatically, as real clients do
    silent = IrcClient(server.port, auto_pong=False).register("silent")
    errors: list[str] = []
    for _ in range(100):  # both clients keep reading, as real ones would
        c.collect(0.05)
        errors += [line.params[0] for line in silent.collect(0.05) if line.command == "ERROR"]
        if errors:
            break
    assert errors and "Ping timeout" in errors[0]
    # The one that answered is still here.
    c.send("PING still-here")
    assert c.expect("PONG").params[-1] == "still-here"


def test_registration_timeout(server_factory: ServerFactory) -> None:
    server = server_factory(config="[timeouts]\nregistration = 1\n")
    c = IrcClient(server.port)
    c.send("NICK slowpoke")
    error = c.expect("ERROR", timeout=10)
    assert "Registration timed out" in error.params[0]
    assert c.closed()


def test_nick_change_is_seen_by_peers(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    a.join("#room")
    b.join("#room")
    a.send("NICK alicia")
    assert a.expect("NICK").params == ["alicia"]
    seen = b.expect("NICK")
    assert seen.source.startswith("alice!") and seen.params == ["alicia"]
    b.send("NICK alicia")
    b.expect("433")
    b.send("WHOWAS alice")
    assert b.expect("314").params[1] == "alice"
