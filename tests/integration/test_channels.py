"""Channels over real sockets: JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE."""

from __future__ import annotations

from conftest import RunningServer
from irc_client import IrcClient


def clients(server: RunningServer, *nicks: str, caps: str = "") -> list[IrcClient]:
    return [IrcClient(server.port).register(nick, caps) for nick in nicks]


def test_first_joiner_is_op_and_names_lists_everyone(server: RunningServer) -> None:
    a, b = clients(server, "alice", "bob")
    a.send("JOIN #room")
    assert a.expect("JOIN").params == ["#room"]
    names = a.expect("353")
    assert names.params[1:] == ["=", "#room", "@alice"]
    b.send("JOIN #ROOM")
    seen = a.expect("JOIN")
    assert seen.source.startswith("bob!~bob@")
    names = b.expect("353")
    assert sorted(names.params[3].split()) == ["@alice", "bob"]
    b.expect("366")


def test_default_lobby_exists_from_start(server: RunningServer) -> None:
    (a,) = clients(server, "first")
    a.send("LIST")
    a.expect("321")
    entry = a.expect("322")
    assert entry.params[1] == "#lobby"
    a.expect("323")


def test_join_several_with_keys_and_join_zero(server: RunningServer) -> None:
    a, b = clients(server, "alice", "bob")
    a.send("JOIN #k1,#k2")
    a.expect("366")
    a.expect("366")
    a.send("MODE #k1 +k secret")
    a.expect("MODE")
    b.send("JOIN #k1")
    assert b.expect("475").params[1] == "#k1"
    b.send("JOIN #k1,#k2 secret")
    b.expect("366", lambda line: line.params[1] == "#k1")
    b.expect("366", lambda line: line.params[1] == "#k2")
    b.send("JOIN 0")
    parted = {b.expect("PART").params[0], b.expect("PART").params[0]}
    assert parted == {"#k1", "#k2"}


def test_invalid_channel_name(server: RunningServer) -> None:
    (a,) = clients(server, "alice")
    a.send("JOIN nochan")
    assert a.expect("403").params[1] == "nochan"
    a.send("JOIN #" + "x" * 80)
    a.expect("403")


def test_part_with_reason_and_errors(server: RunningServer) -> None:
    a, b = clients(server, "alice", "bob")
    a.join("#room")
    b.join("#room")
    b.send("PART #room :see you")
    part = a.expect("PART")
    assert part.params == ["#room", "see you"]
    b.send("PART #room")
    b.expect("442")
    b.send("PART #nowhere")
    b.expect("403")


def test_topic_protected_by_t(server: RunningServer) -> None:
    a, b = clients(server, "alice", "bob")
    a.join("#room")
    b.join("#room")
    b.send("TOPIC #room")
    b.expect("331")
    b.send("TOPIC #room :bob's topic")
    b.expect("482")
    a.send("TOPIC #room :Welcome — ünïcödé 🎉")
    assert b.expect("TOPIC").params == ["#room", "Welcome — ünïcödé 🎉"]
    b.send("TOPIC #room")
    assert b.expect("332").params[2] == "Welcome — ünïcödé 🎉"
    assert b.expect("333").params[2].startswith("alice!")
    c = IrcClient(server.port).register("carol")
    c.send("JOIN #room")
    assert c.expect("332").params[2] == "Welcome — ünïcödé 🎉"


def test_kick(server: RunningServer) -> None:
    a, b = clients(server, "alice", "bob")
    a.join("#room")
    b.join("#room")
    b.send("KICK #room alice")
    b.expect("482")
    a.send("KICK #room bob :behave")
    assert b.expect("KICK").params == ["#room", "bob", "behave"]
    a.send("KICK #room bob")
    a.expect("441")
    b.send("PRIVMSG #room :still here?")
    b.expect("404")


def test_invite_only_and_invite(server: RunningServer) -> None:
    a, b = clients(server, "alice", "bob", caps="invite-notify")
    c = IrcClient(server.port).register("carol", "invite-notify")
    a.join("#vip")
    c.join("#vip")
    a.send("MODE #vip +o carol")
    a.expect("MODE")
    a.send("MODE #vip +i")
    a.expect("MODE")
    b.send("JOIN #vip")
    b.expect("473")
    a.send("INVITE bob #vip")
    assert a.expect("341").params[1:] == ["bob", "#vip"]
    invite = b.expect("INVITE")
    assert invite.params == ["bob", "#vip"]
    notified = c.expect("INVITE")  # invite-notify to the other operator
    assert notified.source.startswith("alice!")
    b.join("#vip")
    a.send("INVITE bob #vip")
    a.expect("443")
    a.send("INVITE nobody #vip")
    a.expect("401")


def test_list_hides_secret_channels(server: RunningServer) -> None:
    a, b = clients(server, "alice", "bob")
    a.join("#hidden")
    a.send("MODE #hidden +s")
    a.expect("MODE")
    a.send("TOPIC #hidden :psst")
    a.expect("TOPIC")
    b.send("LIST")
    listed = [line.params[1] for line in b.until("323") if line.command == "322"]
    assert "#lobby" in listed
    assert "#hidden" not in listed
    a.send("LIST #hidden")
    assert a.expect("322").params[1:] == ["#hidden", "1", "psst"]
    b.send("NAMES #hidden")
    end = b.expect("366")
    assert end.params[1] == "#hidden"


def test_multi_prefix_and_userhost_in_names(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice", "multi-prefix userhost-in-names")
    a.join("#room")
    a.send("MODE #room +v alice")
    a.expect("MODE")
    a.send("NAMES #room")
    names = a.expect("353")
    assert names.params[3] == "@+alice!~alice@127.0.0.1"
