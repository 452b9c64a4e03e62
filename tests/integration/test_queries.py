"""WHO, WHOIS, WHOWAS, ISON, USERHOST, AWAY, SETNAME and the info commands."""

from __future__ import annotations

from conftest import RunningServer
from irc_client import IrcClient


def test_whois_shows_the_user(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    a.join("#w")
    a.send("AWAY :gone fishing")
    a.expect("306")
    b.send("WHOIS alice")
    lines = b.until("318")
    by = {line.command: line for line in lines}
    assert by["311"].params[1:] == ["alice", "~alice", "127.0.0.1", "*", "alice real"]
    assert by["319"].params[2] == "@#w"
    assert by["301"].params[2] == "gone fishing"
    assert "317" in by and "312" in by
    assert "378" not in by  # the address only to themselves and operators
    b.send("WHOIS ghost")
    b.expect("401")
    b.expect("318")


def test_who_channel(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    a.join("#who")
    b.join("#who")
    b.send("AWAY :brb")
    b.expect("306")
    a.send("WHO #who")
    rows = {line.params[5]: line for line in a.until("315") if line.command == "352"}
    assert rows["alice"].params[6] == "H@"
    assert rows["bob"].params[6] == "G"
    assert rows["bob"].params[7] == "0 bob real"


def test_ison_userhost(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    a.send("ISON bob nobody ALICE")
    assert a.expect("303").params[1] == "bob alice"
    a.send("USERHOST alice bob")
    assert a.expect("302").params[1] == "alice=+~alice@127.0.0.1 bob=+~bob@127.0.0.1"
    b.close()


def test_away_notify_and_setname(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice", "away-notify setname")
    b = IrcClient(server.port).register("bob", "setname")
    a.join("#n")
    b.join("#n")
    b.send("AWAY :later")
    assert a.expect("AWAY").params == ["later"]
    b.send("AWAY")
    b.expect("305")
    assert a.expect("AWAY").params == []
    b.send("SETNAME :Robert Tables 🎉")
    assert b.expect("SETNAME").params == ["Robert Tables 🎉"]
    assert a.expect("SETNAME").source.startswith("bob!")
    b.send("SETNAME :" + "x" * 300)
    fail = b.expect("FAIL")
    assert fail.params[:2] == ["SETNAME", "INVALID_REALNAME"]


def test_info_commands(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    a.send("MOTD")
    a.expect("375")
    assert "Welcome to chatroom" in a.expect("372").params[1]
    a.expect("376")
    a.send("LUSERS")
    assert a.expect("251").params[1].startswith("There are 1 users")
    a.send("VERSION")
    assert a.expect("351").params[1].startswith("chatroom-")
    a.send("TIME")
    assert a.expect("391").params[1] == "chatroom"
    a.send("MOTD other.server")
    a.expect("402")


def test_lusers_counts_follow_modes_and_departures(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    b.send("MODE bob +i")
    b.expect("MODE")
    a.send("LUSERS")
    assert a.expect("251").params[1] == "There are 1 users and 1 invisible on 1 servers"
    b.send("QUIT")
    assert b.closed()
    a.send("LUSERS")
    assert a.expect("251").params[1] == "There are 1 users and 0 invisible on 1 servers"
