"""CAP, PASS, NICK, USER, PING, PONG, QUIT: connection registration in memory.

Modern IRC "Connection Registration"; IRCv3 capability negotiation.
"""

from __future__ import annotations

import asyncio

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from support.core import FakeClient, Harness, commands, find, params


async def test_plain_registration_gets_the_welcome_burst(harness: Harness) -> None:
    client = harness.connect()
    client.send("NICK alice", "USER al 0 * :Alice Liddell")
    replies = await client.ask("PING sync")
    got = commands(replies)
    for numeric in ("001", "002", "003", "004", "005", "251", "255", "375", "372", "376"):
        assert numeric in got, numeric
    welcome = find(replies, "001")
    assert welcome.params[0] == "alice" and "alice!~al@10.0.0.1" in welcome.params[1]
    myinfo = find(replies, "004")
    assert myinfo.params[1] == "chatroom" and myinfo.params[3] == "Bio"
    isupport = " ".join(" ".join(p) for p in params(replies, "005"))
    assert "CASEMAPPING=ascii" in isupport and "CHATHISTORY=100" in isupport
    assert got.index("001") < got.index("005") < got.index("376")
    assert client.session.realname == "Alice Liddell"


async def test_user_before_nick_also_registers(harness: Harness) -> None:
    client = harness.connect()
    client.send("USER al 0 * :Alice")
    assert "001" not in commands(await client.ask("PING x"))
    assert "001" in commands(await client.ask("NICK alice"))


async def test_user_with_an_empty_username_or_realname_gets_461(harness: Harness) -> None:
    # Modern IRC "USER": an empty parameter is a missing one, not a registration.
    client = harness.connect()
    client.send("NICK alice")
    for line in ("USER al 0 * :", "USER al 0 *  :", "USER  0 * :x"):
        replies = await client.ask(line)
        assert commands(replies) == ["461"], line
        assert replies[0].params[1] == "USER"
    assert "001" in commands(await client.ask("USER al 0 * :Alice"))


async def test_username_is_cleaned_and_marked_unverified(harness: Harness) -> None:
    client = harness.connect()
    client.send("NICK alice", "USER a$b!c 0 * :x")
    await client.ask("PING x")
    assert client.session.source == "alice!~abc@10.0.0.1"
    other = harness.connect()
    other.send("NICK bob", "USER $$$ 0 * :x")
    await other.ask("PING x")
    assert other.session.user == "~user"


async def test_cap_negotiation_holds_registration_until_cap_end(harness: Harness) -> None:
    client = harness.connect()
    replies = await client.ask("CAP LS 302")
    offered = " ".join(p[-1] for p in params(replies, "CAP"))
    for cap in ("echo-message", "labeled-response", "draft/chathistory", "sasl=PLAIN"):
        assert cap in offered, cap
    client.send("NICK alice", "USER a 0 * :A")
    replies = await client.ask("CAP REQ :echo-message server-time")
    assert find(replies, "CAP").params == ("alice", "ACK", "echo-message server-time")
    assert "001" not in commands(replies)
    replies = await client.ask("CAP LIST")
    assert set(find(replies, "CAP").params[-1].split()) == {
        "cap-notify",
        "echo-message",
        "server-time",
    }
    assert "001" in commands(await client.ask("CAP END"))


async def test_cap_req_of_an_unknown_cap_is_refused_whole(harness: Harness) -> None:
    client = harness.connect()
    replies = await client.ask("CAP REQ :echo-message no-such-cap")
    assert find(replies, "CAP").params == ("*", "NAK", "echo-message no-such-cap")
    assert client.session.caps == set()
    replies = await client.ask("CAP REQ :-echo-message")
    assert find(replies, "CAP").params[1] == "ACK"


async def test_cap_ls_without_302_is_one_line_and_no_values(harness: Harness) -> None:
    client = harness.connect()
    replies = await client.ask("CAP LS")
    caps = params(replies, "CAP")
    assert len(caps) == 1 and caps[0][1] == "LS"
    assert "sasl " in caps[0][-1] + " " and "sasl=" not in caps[0][-1]


async def test_cap_errors(harness: Harness) -> None:
    client = harness.connect()
    assert find(await client.ask("CAP"), "461").params[1] == "CAP"
    assert find(await client.ask("CAP BOGUS"), "410").params[1] == "BOGUS"


async def test_cap_req_after_registration_changes_caps(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("CAP REQ :away-notify")
    assert find(replies, "CAP").params == ("alice", "ACK", "away-notify")
    assert "away-notify" in alice.session.caps


async def test_commands_before_registration_get_451(harness: Harness) -> None:
    client = harness.connect()
    for line in ("JOIN #c", "PRIVMSG bob :hi", "WHOIS bob", "NOSUCHCOMMAND"):
        assert find(await client.ask(line), "451").params == ("*", "You have not registered")
    assert find(await client.ask("PING token"), "PONG").params == ("chatroom", "token")


async def test_unknown_command_after_registration_gets_421(harness: Harness) -> None:
    alice = await harness.user("alice")
    assert find(await alice.ask("FROBNICATE x"), "421").params[1] == "FROBNICATE"


async def test_nick_errors(harness: Harness) -> None:
    alice = await harness.user("alice")
    assert find(await alice.ask("NICK"), "431")
    assert find(await alice.ask("NICK :"), "431")
    assert find(await alice.ask("NICK 1abc"), "432").params[1] == "1abc"
    assert find(await alice.ask("NICK a,b"), "432")
    assert find(await alice.ask("NICK " + "x" * 33), "432")
    assert find(await alice.ask("NICK ChanServ"), "432").params[2] == "Reserved for services"
    await harness.user("bob")
    assert find(await alice.ask("NICK BOB"), "433").params[1] == "BOB"
    assert alice.session.nick == "alice"


async def test_taken_nick_at_registration_gets_433_and_may_try_again(harness: Harness) -> None:
    await harness.user("alice")
    client = harness.connect()
    client.send("USER a 0 * :A")
    replies = await client.ask("NICK Alice")
    assert find(replies, "433").params[:2] == ("*", "Alice")
    assert not client.session.registered
    assert "001" in commands(await client.ask("NICK alice2"))


async def test_nick_change_is_seen_by_peers_once(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    carol = await harness.user("carol")
    alice.send("JOIN #a", "JOIN #b")
    bob.send("JOIN #a", "JOIN #b")
    await alice.ask("PING x")
    bob.lines()
    carol.lines()
    replies = await alice.ask("NICK alicia")
    assert find(replies, "NICK").source == "alice!~alice@10.0.0.1"
    assert params(bob.lines(), "NICK") == [("alicia",)]  # once, though in two channels
    assert carol.lines() == []
    assert harness.server.find_user("alicia") is alice.session
    assert harness.server.find_user("alice") is None
    # A change of case only is a change, and nothing at all is no change.
    assert params(await alice.ask("NICK Alicia"), "NICK") == [("Alicia",)]
    assert await alice.ask("NICK Alicia") == []


async def test_user_and_pass_after_registration_get_462(harness: Harness) -> None:
    alice = await harness.user("alice")
    assert find(await alice.ask("USER a 0 * :A"), "462")
    assert find(await alice.ask("PASS secret"), "462")
    assert find(await alice.ask("USER a 0 *"), "461").params[1] == "USER"


async def test_server_password() -> None:
    server = Server(
        Config(password="letmein", flood_enabled=False),
        asyncio.get_running_loop(),
        commands=COMMANDS,
    )
    wrong = FakeClient(server)
    wrong.send("PASS nope", "NICK alice")
    replies = await wrong.ask("USER a 0 * :A")
    assert commands(replies) == ["464", "ERROR"]
    assert wrong.transport.closed and server.find_user("alice") is None
    missing = FakeClient(server)
    missing.send("NICK bob")
    assert "464" in commands(await missing.ask("USER b 0 * :B"))
    right = FakeClient(server)
    right.send("PASS letmein", "NICK carol")
    assert "001" in commands(await right.ask("USER c 0 * :C"))
    server.shutdown()


async def test_ping_pong(harness: Harness) -> None:
    alice = await harness.user("alice")
    pong = find(await alice.ask("PING :two words"), "PONG")
    assert pong.source == "chatroom" and pong.params == ("chatroom", "two words")
    assert find(await alice.ask("PING"), "461").params[1] == "PING"
    alice.session.ping_pending = True
    assert await alice.ask("PONG chatroom") == []
    assert not alice.session.ping_pending


async def test_quit_tells_peers_and_closes(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    alice.send("JOIN #c")
    bob.send("JOIN #c")
    await bob.ask("PING x")
    replies = await alice.ask("QUIT :gone fishing")
    error = find(replies, "ERROR")
    assert error.params == ("Closing Link: 10.0.0.1 (Quit: gone fishing)",)
    assert alice.transport.closed
    quit_line = find(bob.lines(), "QUIT")
    assert quit_line.params == ("Quit: gone fishing",) and quit_line.source.startswith("alice!")
    assert harness.server.find_user("alice") is None
    assert find(await bob.ask("WHOWAS alice"), "314").params[1] == "alice"


async def test_quit_before_registration_gets_error(harness: Harness) -> None:
    client = harness.connect()
    replies = await client.ask("QUIT")
    assert find(replies, "ERROR").params == ("Closing Link: 10.0.0.1 (Quit)",)
    assert client.transport.closed


async def test_labeled_response_on_registration_commands(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("labeled-response", "batch"))
    pong = find(await alice.ask("@label=p1 PING x"), "PONG")
    assert pong.tags["label"] == "p1"
    ack = find(await alice.ask("@label=n1 PONG x"), "ACK")
    assert ack.tags["label"] == "n1"
