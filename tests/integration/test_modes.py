"""MODE for users and channels over real sockets."""

from __future__ import annotations

from conftest import RunningServer
from irc_client import IrcClient


def test_user_mode_invisible(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    a.send("MODE alice +i")
    assert a.expect("MODE").params == ["alice", "+i"]
    a.send("MODE alice")
    assert a.expect("221").params[1] == "+i"
    a.send("MODE alice +o")  # only OPER gives +o
    a.send("MODE alice +x")
    a.expect("501")
    a.send("MODE bob +i")
    a.expect("401")
    b = IrcClient(server.port).register("bob")
    a.send("MODE bob +i")
    a.expect("502")
    b.send("WHO alice")  # exact nick: shown
    assert b.expect("352").params[5] == "alice"
    b.send("WHO a*")  # mask: invisible users hidden from strangers
    assert [line.command for line in b.until("315")] == ["315"]


def test_channel_modes_query_and_change(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    a.join("#c")
    b.join("#c")
    a.send("MODE #c")
    assert a.expect("324").params[2] == "+nt"
    a.expect("329")
    a.send("MODE #c +lk 5 pw")
    changed = b.expect("MODE")
    assert changed.params == ["#c", "+lk", "5", "pw"]
    b.send("MODE #c")
    assert b.expect("324").params[2:] == ["+ntkl", "pw", "5"]
    b.send("MODE #c -t")
    b.expect("482")
    a.send("MODE #c +o bob")
    assert b.expect("MODE").params == ["#c", "+o", "bob"]
    b.send("MODE #c -k+z *")
    b.expect("472")
    assert b.expect("MODE").params == ["#c", "-k", "*"]
    a.send("MODE #c +l nonsense")
    a.expect("696")
    a.send("MODE #c +o ghost")
    a.expect("401")


def test_ban_exception_and_lists(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    a.join("#b")
    a.send("MODE #b +b evil")
    assert a.expect("MODE").params == ["#b", "+b", "evil!*@*"]
    evil = IrcClient(server.port).register("evil")
    evil.send("JOIN #b")
    assert evil.expect("474").params[1] == "#b"
    a.send("MODE #b +e evil!*@127.0.0.1")
    a.expect("MODE")
    evil.join("#b")
    a.send("MODE #b +b")
    bans = [line.params[2] for line in a.until("368") if line.command == "367"]
    assert bans == ["evil!*@*"]
    a.send("MODE #b e")
    excepts = [line.params[2] for line in a.until("349") if line.command == "348"]
    assert excepts == ["evil!*@127.0.0.1"]


def test_limit_is_enforced(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    a.join("#small")
    a.send("MODE #small +l 1")
    a.expect("MODE")
    b.send("JOIN #small")
    assert b.expect("471").params[1] == "#small"
