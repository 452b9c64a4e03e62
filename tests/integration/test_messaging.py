"""PRIVMSG, NOTICE and TAGMSG over real sockets, with IRCv3 tags and echo."""

from __future__ import annotations

from conftest import RunningServer
from irc_client import IrcClient


def test_channel_message_reaches_others_not_sender(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    c = IrcClient(server.port).register("carol")
    for x in (a, b, c):
        x.join("#lobby")
    a.send("PRIVMSG #lobby :héllo wörld 🎉")
    for receiver in (b, c):
        msg = receiver.expect("PRIVMSG")
        assert msg.source == "alice!~alice@127.0.0.1"
        assert msg.params == ["#lobby", "héllo wörld 🎉"]
    assert not [line for line in a.collect(0.3) if line.command == "PRIVMSG"]


def test_private_message_and_away_reply(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    b.send("AWAY :lunch")
    b.expect("306")
    a.send("PRIVMSG Bob :psst")
    assert b.expect("PRIVMSG").params == ["Bob", "psst"]  # the target as the sender wrote it
    away = a.expect("301")
    assert away.params[1:] == ["bob", "lunch"]
    a.send("NOTICE bob :a notice")
    assert b.expect("NOTICE").params[1] == "a notice"
    a.send("PRIVMSG ghost :hello?")
    assert a.expect("401").params[1] == "ghost"
    a.send("NOTICE ghost :no reply for notices")
    a.send("PING sync")
    lines = a.collect(0.5)
    assert [line.command for line in lines if line.command in ("401", "PONG")] == ["PONG"]


def test_several_targets(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    c = IrcClient(server.port).register("carol")
    c.join("#x")
    a.send("PRIVMSG bob,#x :to both")
    assert b.expect("PRIVMSG").params == ["bob", "to both"]
    # #x has +n: alice is not a member, so she may not send there.
    assert a.expect("404").params[1] == "#x"
    a.send("PRIVMSG a,b,c,d,e :too many")
    a.expect("407")


def test_missing_recipient_or_text(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    a.send("PRIVMSG")
    a.expect("411")
    a.send("PRIVMSG #lobby")
    a.expect("412")
    a.send("PRIVMSG #lobby :")
    a.expect("412")


def test_tags_echo_and_label(server: RunningServer) -> None:
    caps = "message-tags server-time echo-message labeled-response batch"
    a = IrcClient(server.port).register("alice", caps)
    b = IrcClient(server.port).register("bob", "message-tags server-time")
    plain = IrcClient(server.port).register("plain")
    for x in (a, b, plain):
        x.join("#t")
    a.send("@label=L1;+draft/react=yes PRIVMSG #t :tagged")
    echo = a.expect("PRIVMSG")
    assert echo.tags is not None
    assert echo.tags["label"] == "L1"
    got = b.expect("PRIVMSG")
    assert got.tags is not None
    assert got.tags["+draft/react"] == "yes"
    assert got.tags["msgid"] == echo.tags["msgid"]
    assert got.tags["time"].endswith("Z")
    assert "label" not in got.tags
    bare = plain.expect("PRIVMSG")
    assert not bare.tags
    a.send("@+typing=active TAGMSG #t")
    tagmsg = b.expect("TAGMSG")
    assert tagmsg.params == ["#t"]
    assert tagmsg.tags is not None and tagmsg.tags["+typing"] == "active"
    assert not [line for line in plain.collect(0.3) if line.command == "TAGMSG"]


def test_labeled_response_ack_and_batch(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice", "labeled-response batch")
    a.send("@label=empty PONG :x")
    ack = a.expect("ACK")
    assert ack.tags == {"label": "empty"}
    a.send("@label=many WHOIS alice")
    start = a.expect("BATCH")
    assert start.tags == {"label": "many"}
    assert start.params[1] == "labeled-response"
    ref = start.params[0][1:]
    whois = a.expect("311")
    assert whois.tags == {"batch": ref}
    a.expect("318")
    assert a.expect("BATCH").params == [f"-{ref}"]


def test_moderated_and_banned_cannot_speak(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    a.join("#m")
    b.join("#m")
    a.send("MODE #m +m")
    b.expect("MODE")
    b.send("PRIVMSG #m :can I?")
    b.expect("404")
    a.send("MODE #m +v bob")
    b.expect("MODE")
    b.send("PRIVMSG #m :now I can")
    assert a.expect("PRIVMSG").params[1] == "now I can"
    a.send("MODE #m -m-v+b bob bob!*@*")
    b.expect("MODE")
    b.send("PRIVMSG #m :banned?")
    b.expect("404")


def test_statusmsg_reaches_only_ops(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    c = IrcClient(server.port).register("carol")
    for x in (a, b, c):
        x.join("#s")
    c.send("PRIVMSG @#s :ops only")
    assert a.expect("PRIVMSG").params == ["@#s", "ops only"]
    assert not [line for line in b.collect(0.3) if line.command == "PRIVMSG"]


def test_quit_does_not_overtake_messages_sent_before_it(server: RunningServer) -> None:
    a = IrcClient(server.port).register("alice")
    b = IrcClient(server.port).register("bob")
    a.join("#lobby")
    b.join("#lobby")
    b.send_raw(b"PRIVMSG #lobby :one\r\nPRIVMSG #lobby :two\r\nPART #lobby :bye\r\n")
    seen = [(line.command, line.params[-1]) for line in a.until("PART")]
    assert seen[-3:] == [("PRIVMSG", "one"), ("PRIVMSG", "two"), ("PART", "bye")]
    b.send_raw(b"JOIN #lobby\r\nPRIVMSG #lobby :three\r\nQUIT :gone\r\n")
    seen = [(line.command, line.params[-1]) for line in a.until("QUIT")]
    assert seen[-2:] == [("PRIVMSG", "three"), ("QUIT", "Quit: gone")]


def test_alone_in_a_channel_your_message_does_not_come_back(server: RunningServer) -> None:
    # Regression: the "message to yourself" rule for nicks also hit a channel whose
    # only member (here; with --cluster the others may be elsewhere) was the sender.
    solo = IrcClient(server.port).register("solo")
    solo.join("#alone")
    solo.send("PRIVMSG #alone :hello?")
    solo.send("PRIVMSG solo :to myself")
    # The first PRIVMSG back is the one to the nick: the channel's never came.
    assert solo.expect("PRIVMSG").params == ["solo", "to myself"]
