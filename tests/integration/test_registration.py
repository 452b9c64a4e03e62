"""Registration over real sockets: the server password from the config file, and the
timers (keep-alive PING, registration timeout). The commands themselves are tested in
memory in tests/server/commands/test_registration.py."""

from __future__ import annotations

from support.irc_client import IrcClient
from support.server import ServerFactory


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
