"""WHO, WHOIS, WHOWAS, ISON, USERHOST, AWAY and SETNAME in memory (Modern IRC
"User-Based Queries"; IRCv3 away-notify, setname, multi-prefix, whox, bot-mode)."""

from __future__ import annotations

from chatroom.server.network.view import RemoteUser
from support.core import Harness, commands, find, join, params


async def test_whois_shows_the_user(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await join("#c", alice, bob)
    await alice.ask("JOIN #s")
    await alice.ask("MODE #s +s")
    replies = await bob.ask("WHOIS alice")
    assert find(replies, "311").params[1:] == ("alice", "~alice", "10.0.0.1", "*", "alice")
    assert find(replies, "319").params[1:] == ("alice", "@#c")  # not the secret #s
    assert find(replies, "312").params[1:3] == ("alice", "chatroom")
    assert find(replies, "317").params[1] == "alice"
    assert "378" not in commands(replies)  # the address only to itself and operators
    assert commands(replies)[-1] == "318"
    own = await alice.ask("WHOIS alice")
    assert find(own, "319").params[-1].split() == ["@#c", "@#s"]
    assert find(own, "378").params[-1] == "is connecting from *@10.0.0.1 10.0.0.1"


async def test_whois_of_an_away_operator_with_an_account(harness: Harness) -> None:
    root = await harness.oper("root")
    await root.ask("REGISTER * * :a good password")
    await root.ask("AWAY :busy")
    alice = await harness.user("alice")
    replies = await alice.ask("WHOIS root")
    assert find(replies, "313").params[1] == "root"
    assert find(replies, "301").params[1:] == ("root", "busy")
    assert find(replies, "330").params[1:3] == ("root", "root")
    # An operator sees where others connect from.
    assert "378" in commands(await root.ask("WHOIS alice"))


async def test_whois_errors(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("WHOIS nobody")
    assert commands(replies) == ["401", "318"]
    assert find(replies, "401").params[1] == "nobody"
    assert find(await alice.ask("WHOIS"), "461").params[1] == "WHOIS"
    # WHOIS <server> <nick>; one nick at a time (TARGMAX=WHOIS:1).
    assert find(await alice.ask("WHOIS chatroom alice"), "311").params[1] == "alice"
    assert commands(await alice.ask("WHOIS alice,bob")) == ["407"]


async def test_whois_with_multi_prefix(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("multi-prefix",))
    await alice.ask("JOIN #c")
    await alice.ask("MODE #c +v alice")
    assert find(await alice.ask("WHOIS alice"), "319").params[-1] == "@+#c"


async def test_who_channel(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await join("#c", alice, bob)
    await bob.ask("AWAY :gone")
    replies = await alice.ask("WHO #c")
    rows = {p[5]: p for p in params(replies, "352")}
    assert rows["alice"][1:] == ("#c", "~alice", "10.0.0.1", "chatroom", "alice", "H@", "0 alice")
    assert rows["bob"][6] == "G"
    assert find(replies, "315").params[1] == "#c"
    assert commands(await alice.ask("WHO #nowhere")) == ["315"]


async def test_who_hides_invisible_users_from_strangers(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await alice.ask("MODE alice +i")
    # By exact nick: shown; by mask: hidden from those sharing no channel.
    assert find(await bob.ask("WHO alice"), "352").params[5] == "alice"
    assert commands(await bob.ask("WHO a*")) == ["315"]
    await join("#c", alice, bob)
    assert find(await bob.ask("WHO a*"), "352").params[5] == "alice"
    root = await harness.oper("root")
    assert find(await root.ask("WHO *lic*"), "352").params[5] == "alice"


async def test_who_by_mask_matches_nick_source_or_realname(harness: Harness) -> None:
    alice = await harness.user("alice")
    await harness.user("bob")
    found = lambda replies: sorted(p[5] for p in params(replies, "352"))  # noqa: E731
    assert found(await alice.ask("WHO *")) == ["alice", "bob"]
    assert found(await alice.ask("WHO *@10.0.0.2")) == ["bob"]
    assert commands(await alice.ask("WHO 0")) == ["315"]
    assert find(await alice.ask("WHO"), "315").params[1] == "*"


async def test_who_operator_flag_and_secret_channel(harness: Harness) -> None:
    root = await harness.oper("root")
    await root.ask("JOIN #s")
    await root.ask("MODE #s +s")
    alice = await harness.user("alice")
    assert commands(await alice.ask("WHO #s")) == ["315"]
    assert find(await root.ask("WHO #s"), "352").params[6] == "H*@"


async def test_whowas(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await bob.ask("NICK robert")
    await bob.ask("NICK bob")
    replies = await alice.ask("WHOWAS bob")
    assert commands(replies) == ["314", "312", "369"]
    assert find(replies, "314").params[1:] == ("bob", "~bob", "10.0.0.2", "*", "bob")
    replies = await alice.ask("WHOWAS robert 1")
    assert commands(replies) == ["314", "312", "369"]
    replies = await alice.ask("WHOWAS nobody")
    assert commands(replies) == ["406", "369"]
    assert find(await alice.ask("WHOWAS"), "461")


async def test_ison_userhost(harness: Harness) -> None:
    alice = await harness.user("alice")
    root = await harness.oper("root")
    await root.ask("AWAY :away")
    assert find(await alice.ask("ISON ROOT nobody alice"), "303").params[1] == "root alice"
    assert find(await alice.ask("ISON :root alice"), "303").params[1] == "root alice"
    replies = await alice.ask("USERHOST alice root nobody")
    assert find(replies, "302").params[1] == "alice=+~alice@10.0.0.1 root*=-~root@10.0.0.2"
    assert find(await alice.ask("ISON"), "461")
    assert find(await alice.ask("USERHOST"), "461")


async def test_away_and_away_notify(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("away-notify",))
    bob = await harness.user("bob")
    carol = await harness.user("carol")
    await join("#c", alice, bob, carol)
    assert find(await bob.ask("AWAY :lunch"), "306")
    notice = find(alice.lines(), "AWAY")
    assert notice.params == ("lunch",) and notice.source.startswith("bob!")
    assert carol.lines() == []  # no away-notify
    assert find(await bob.ask("AWAY"), "305")
    assert find(alice.lines(), "AWAY").params == ()
    # Coming back when not away tells nobody.
    assert find(await bob.ask("AWAY :"), "305")
    assert alice.lines() == []


async def test_pre_away(harness: Harness) -> None:
    # https://ircv3.net/specs/extensions/pre-away: AWAY before registration ends,
    # with the capability only.
    early = await harness.connect().register("early", "AWAY :asleep", caps=("draft/pre-away",))
    assert early.session.away == "asleep"
    bob = await harness.user("bob")
    assert find(await bob.ask("WHOIS early"), "301").params[1:] == ("early", "asleep")
    star = await harness.connect().register("star", "AWAY *", caps=("draft/pre-away",))
    assert star.session.away == "*"
    plain = harness.connect()
    plain.send("CAP LS 302", "CAP REQ :server-time", "NICK plain", "USER p 0 * :P")
    assert commands(await plain.ask("AWAY :nope"))[-1] == "451"
    assert plain.session.away is None


async def test_setname(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("setname",))
    bob = await harness.user("bob", caps=("setname",))
    carol = await harness.user("carol")
    await join("#c", alice, bob, carol)
    replies = await bob.ask("SETNAME :Robert Tables 🎉")
    assert find(replies, "SETNAME").params == ("Robert Tables 🎉",)
    assert find(alice.lines(), "SETNAME").source.startswith("bob!")
    assert carol.lines() == []
    assert await carol.ask("SETNAME :Carol") == []  # no cap: changed silently
    assert find(await alice.ask("WHOIS carol"), "311").params[-1] == "Carol"
    fail = find(await bob.ask("SETNAME :" + "x" * 300), "FAIL")
    assert fail.params[:2] == ("SETNAME", "INVALID_REALNAME")
    assert find(await bob.ask("SETNAME :"), "FAIL").params[1] == "INVALID_REALNAME"
    assert find(await bob.ask("SETNAME"), "461")


async def test_whox_gives_the_fields_asked_in_the_spec_order(harness: Harness) -> None:
    alice = await harness.user("alice")
    await alice.ask("REGISTER * * :a good password")
    bob = await harness.user("bob")
    await join("#c", alice, bob)
    await bob.ask("AWAY :gone")
    # Asked as "afnt": answered as t, n, f, a (https://ircv3.net/specs/extensions/whox).
    replies = await alice.ask("WHO #c %afnt,42")
    assert "352" not in commands(replies)
    rows = {p[2]: p[1:] for p in params(replies, "354")}
    assert rows == {"alice": ("42", "alice", "H@", "alice"), "bob": ("42", "bob", "G", "0")}
    assert commands(replies)[-1] == "315" and find(replies, "315").params[1] == "#c"


async def test_whox_every_field_and_its_placeholders(harness: Harness) -> None:
    alice = await harness.user("alice")
    await harness.user("bob")
    row = find(await alice.ask("WHO bob %tcuihsnfdlaor,7"), "354").params[1:]
    idle = row[9]
    assert idle.isdigit()
    assert row == (
        "7", "*", "~bob", "255.255.255.255", "10.0.0.2", "chatroom", "bob", "H",
        "0", idle, "0", "n/a", "bob",
    )  # fmt: skip
    # The address to the user itself (and to operators), as WHOIS's 378.
    assert find(await alice.ask("WHO alice %ni"), "354").params[1:] == ("10.0.0.1", "alice")
    root = await harness.oper("root")
    assert find(await root.ask("WHO bob %i"), "354").params[1:] == ("10.0.0.2",)


async def test_whox_odd_requests_are_answered_not_refused(harness: Harness) -> None:
    alice = await harness.user("alice")
    await harness.user("bob")
    # A token that is not 1 to 3 digits: "0"; fields we do not know: ignored.
    assert find(await alice.ask("WHO bob %tn,1234"), "354").params[1:] == ("0", "bob")
    assert find(await alice.ask("WHO bob %tn,a1"), "354").params[1:] == ("0", "bob")
    assert find(await alice.ask("WHO bob %tn"), "354").params[1:] == ("0", "bob")
    assert find(await alice.ask("WHO bob %xyzn"), "354").params[1:] == ("bob",)
    # Old WHO flags before the % are ignored; a second parameter without % is plain WHO.
    assert find(await alice.ask("WHO bob o%n"), "354").params[1:] == ("bob",)
    assert "352" in commands(await alice.ask("WHO bob o"))
    # A mask search streams 354s too, and nothing matching ends with 315 alone.
    replies = await alice.ask("WHO * %n")
    assert sorted(p[1] for p in params(replies, "354")) == ["alice", "bob"]
    assert commands(await alice.ask("WHO nobody* %n")) == ["315"]


async def test_whox_of_a_user_on_another_process(harness: Harness) -> None:
    alice = await harness.user("alice")
    view = harness.server.network.view
    view.add_user("lena", RemoteUser("Lena", "Lena!~l@10.9.9.9", "p2", "Lena L", "lena", "brb"))
    row = find(await alice.ask("WHO lena %tuihnflar,1"), "354").params[1:]
    assert row == ("1", "~l", "255.255.255.255", "10.9.9.9", "Lena", "G", "0", "lena", "Lena L")


async def test_bot_mode_shows_in_whois_and_who(harness: Harness) -> None:
    alice = await harness.user("alice")
    bot = await harness.user("robo")
    await join("#c", alice, bot)
    assert find(await bot.ask("MODE robo +B"), "MODE").params == ("robo", "+B")
    whois = await alice.ask("WHOIS robo")
    assert find(whois, "335").params[1:] == ("robo", "is a bot on chatroom")
    rows = {p[5]: p[6] for p in params(await alice.ask("WHO #c"), "352")}
    assert rows == {"alice": "H@", "robo": "HB"}
    assert find(await alice.ask("WHO robo %nf"), "354").params[1:] == ("robo", "HB")
    await bot.ask("MODE robo -B")
    assert "335" not in commands(await alice.ask("WHOIS robo"))
    assert find(await alice.ask("WHO robo"), "352").params[6] == "H"


async def test_bot_mode_of_a_user_on_another_process(harness: Harness) -> None:
    # The user modes travel with UserUp/UserState (server/network/events.py).
    alice = await harness.user("alice")
    view = harness.server.network.view
    view.add_user("robo", RemoteUser("Robo", "Robo!~r@10.9.9.9", "p2", "Robo", modes="B"))
    assert find(await alice.ask("WHOIS robo"), "335").params[1] == "Robo"
    assert find(await alice.ask("WHO robo"), "352").params[6] == "HB"
