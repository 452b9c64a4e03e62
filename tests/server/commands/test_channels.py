"""JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE in memory (Modern IRC "Channel Operations")."""

from __future__ import annotations

import asyncio

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from support.core import FakeClient, Harness, commands, find, params


async def two_in(harness: Harness, channel: str = "#c") -> tuple[FakeClient, FakeClient]:
    """alice (operator, first in) and bob in ``channel``, their lines read."""
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await alice.ask(f"JOIN {channel}")
    await bob.ask(f"JOIN {channel}")
    alice.lines()
    return alice, bob


async def test_first_joiner_is_operator_and_names_lists_everyone(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("JOIN #c")
    assert commands(replies) == ["JOIN", "353", "366"]
    assert find(replies, "JOIN").source == "alice!~alice@10.0.0.1"
    assert find(replies, "353").params == ("alice", "=", "#c", "@alice")
    bob = await harness.user("bob")
    replies = await bob.ask("JOIN #C")
    assert find(replies, "JOIN").params == ("#c",)  # the channel's own spelling
    assert find(replies, "353").params[-1].split() == ["@alice", "bob"]
    assert find(alice.lines(), "JOIN").source.startswith("bob!")
    assert find(await bob.ask("NAMES #c"), "353").params[-1].split() == ["@alice", "bob"]


async def test_no_implicit_names(harness: Harness) -> None:
    # https://ircv3.net/specs/extensions/no-implicit-names: no 353/366 after JOIN,
    # an explicit NAMES as usual.
    alice = await harness.user("alice", caps=("draft/no-implicit-names",))
    await alice.ask("JOIN #c")
    await alice.ask("TOPIC #c :hello")
    bob = await harness.user("bob", caps=("draft/no-implicit-names",))
    assert commands(await bob.ask("JOIN #c")) == ["JOIN", "332", "333"]
    assert commands(await bob.ask("NAMES #c")) == ["353", "366"]
    carol = await harness.user("carol")
    assert commands(await carol.ask("JOIN #c"))[-2:] == ["353", "366"]


async def test_joining_twice_says_nothing(harness: Harness) -> None:
    alice = await harness.user("alice")
    await alice.ask("JOIN #c")
    assert await alice.ask("JOIN #c") == []


async def test_default_room_exists_from_the_start(harness: Harness) -> None:
    alice = await harness.user("alice")
    listed = [p[1] for p in params(await alice.ask("LIST"), "322")]
    assert listed == ["#lobby"]


async def test_join_several_with_keys_and_join_zero(harness: Harness) -> None:
    alice, bob = await two_in(harness, "#k")
    await alice.ask("MODE #k +k sesame")
    await bob.ask("PART #k")
    replies = await bob.ask("JOIN #a,#k,#b x,sesame")
    assert params(replies, "JOIN") == [("#a",), ("#k",), ("#b",)]
    replies = await bob.ask("JOIN 0")
    assert sorted(p[0] for p in params(replies, "PART")) == ["#a", "#b", "#k"]
    assert find(replies, "PART").params[1] == "Left all channels"
    assert bob.session.channels == set()


async def test_join_errors(harness: Harness) -> None:
    alice = await harness.user("alice")
    assert find(await alice.ask("JOIN"), "461").params[1] == "JOIN"
    assert find(await alice.ask("JOIN nohash"), "403").params[1] == "nohash"
    assert find(await alice.ask("JOIN #" + "x" * 70), "403")
    assert find(await alice.ask("JOIN #a\x07b"), "403")


async def test_too_many_channels() -> None:
    server = Server(
        Config(max_channels=2, flood_enabled=False), asyncio.get_running_loop(), commands=COMMANDS
    )
    alice = await FakeClient(server).register("alice", caps=())
    alice.send("JOIN #a", "JOIN #b")
    assert find(await alice.ask("JOIN #x"), "405").params[1] == "#x"
    server.shutdown()


async def test_key_limit_invite_only_and_ban_refuse_joins(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await alice.ask("JOIN #c")
    await alice.ask("MODE #c +k sesame")
    assert find(await bob.ask("JOIN #c"), "475").params[1:] == ("#c", "Cannot join channel (+k)")
    assert find(await bob.ask("JOIN #c wrong"), "475")
    await alice.ask("MODE #c -k")
    await alice.ask("MODE #c +l 1")
    assert find(await bob.ask("JOIN #c"), "471").params[1] == "#c"
    await alice.ask("MODE #c -l")
    await alice.ask("MODE #c +i")
    assert find(await bob.ask("JOIN #c"), "473").params[1] == "#c"
    await alice.ask("MODE #c -i")
    await alice.ask("MODE #c +b bob!*@*")
    assert find(await bob.ask("JOIN #c"), "474").params[1] == "#c"


async def test_invite_lets_past_invite_only_and_limit_but_not_a_ban(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("invite-notify",))
    bob = await harness.user("bob")
    carol = await harness.user("carol", caps=("invite-notify",))
    await alice.ask("JOIN #c")
    await carol.ask("JOIN #c")
    await alice.ask("MODE #c +o carol")
    await alice.ask("MODE #c +il 2")
    carol.lines()
    replies = await alice.ask("INVITE bob #c")
    assert find(replies, "341").params == ("alice", "bob", "#c")
    invite = find(bob.lines(), "INVITE")
    assert invite.params == ("bob", "#c") and invite.source.startswith("alice!")
    assert find(carol.lines(), "INVITE").params == ("bob", "#c")  # invite-notify to ops
    assert "JOIN" in commands(await bob.ask("JOIN #c"))
    await bob.ask("PART #c")  # an invite is used up by joining
    assert find(await bob.ask("JOIN #c"), "471")  # two are in: full
    await alice.ask("MODE #c -l")
    assert find(await bob.ask("JOIN #c"), "473")
    await alice.ask("MODE #c +b bob!*@*")
    await alice.ask("INVITE bob #c")
    assert find(await bob.ask("JOIN #c"), "474")


async def test_invite_errors(harness: Harness) -> None:
    alice, bob = await two_in(harness)
    carol = await harness.user("carol")
    assert find(await alice.ask("INVITE carol"), "461").params[1] == "INVITE"
    assert find(await alice.ask("INVITE nobody #c"), "401").params[1] == "nobody"
    assert find(await alice.ask("INVITE carol #nowhere"), "403").params[1] == "#nowhere"
    assert find(await carol.ask("INVITE alice #c"), "442").params[1] == "#c"
    assert find(await alice.ask("INVITE bob #c"), "443").params[1:3] == ("bob", "#c")
    await alice.ask("MODE #c +i")
    assert find(await bob.ask("INVITE carol #c"), "482").params[1] == "#c"
    # Without +i any member may invite.
    await alice.ask("MODE #c -i")
    assert find(await bob.ask("INVITE carol #c"), "341")


async def test_invite_to_an_away_user_says_so(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await alice.ask("JOIN #c")
    await bob.ask("AWAY :lunch")
    assert find(await alice.ask("INVITE bob #c"), "301").params[1:] == ("bob", "lunch")


async def test_part_with_reason_and_errors(harness: Harness) -> None:
    alice, bob = await two_in(harness)
    replies = await bob.ask("PART #c :see you")
    assert find(replies, "PART").params == ("#c", "see you")
    assert find(alice.lines(), "PART").params == ("#c", "see you")
    assert find(await bob.ask("PART #c"), "442").params[1] == "#c"
    assert find(await bob.ask("PART #nowhere"), "403").params[1] == "#nowhere"
    assert find(await bob.ask("PART"), "461")
    replies = await alice.ask("PART #c")
    assert find(replies, "PART").params == ("#c",)
    assert harness.server.find_channel("#c") is None  # the last one out: gone


async def test_topic_query_set_and_protected_by_t(harness: Harness) -> None:
    alice, bob = await two_in(harness)
    assert find(await bob.ask("TOPIC #c"), "331").params[1] == "#c"
    replies = await alice.ask("TOPIC #c :Hello world")
    assert find(replies, "TOPIC").params == ("#c", "Hello world")
    assert find(bob.lines(), "TOPIC").source.startswith("alice!")
    replies = await bob.ask("TOPIC #c")
    assert find(replies, "332").params[1:] == ("#c", "Hello world")
    assert find(replies, "333").params[1:3] == ("#c", "alice!~alice@10.0.0.1")
    # +t is on by default: only operators set the topic.
    assert find(await bob.ask("TOPIC #c :mine"), "482").params[1] == "#c"
    await alice.ask("MODE #c -t")
    assert find(await bob.ask("TOPIC #c :mine"), "TOPIC").params == ("#c", "mine")
    # Joining shows the topic.
    carol = await harness.user("carol")
    assert commands(await carol.ask("JOIN #c")) == ["JOIN", "332", "333", "353", "366"]
    # An empty topic clears it.
    await alice.ask("TOPIC #c :")
    assert find(await bob.ask("TOPIC #c"), "331")


async def test_topic_errors(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await alice.ask("JOIN #c")
    assert find(await bob.ask("TOPIC"), "461")
    assert find(await bob.ask("TOPIC #nowhere"), "403")
    assert find(await bob.ask("TOPIC #c :x"), "442")
    assert find(await bob.ask("TOPIC #c"), "331")  # an outsider may read a public one
    await alice.ask("MODE #c +s")
    assert find(await bob.ask("TOPIC #c"), "442")


async def test_topic_is_cut_to_topiclen() -> None:
    server = Server(
        Config(topiclen=5, flood_enabled=False), asyncio.get_running_loop(), commands=COMMANDS
    )
    alice = await FakeClient(server).register("alice", caps=())
    await alice.ask("JOIN #c")
    assert find(await alice.ask("TOPIC #c :abcdefgh"), "TOPIC").params[1] == "abcde"
    server.shutdown()


async def test_names(harness: Harness) -> None:
    alice, bob = await two_in(harness)
    carol = await harness.user("carol")
    assert params(await carol.ask("NAMES"), "366") == [("carol", "*", "End of /NAMES list")]
    replies = await carol.ask("NAMES #c")
    assert find(replies, "353").params == ("carol", "=", "#c", "@alice bob")
    assert params(await carol.ask("NAMES #nowhere"), "366")[0][1] == "#nowhere"
    # One target at a time (TARGMAX=NAMES:1); a repeat of the same one counts once.
    assert commands(await carol.ask("NAMES #c,#nowhere")) == ["407"]
    assert commands(await carol.ask("NAMES #c,#C")) == ["353", "366"]
    await alice.ask("MODE #c +s")
    assert commands(await carol.ask("NAMES #c")) == ["366"]
    assert find(await bob.ask("NAMES #c"), "353").params[1] == "@"
    # Invisible users are listed only to those sharing the channel.
    await alice.ask("MODE #c -s")
    await bob.ask("MODE bob +i")
    assert find(await carol.ask("NAMES #c"), "353").params[-1] == "@alice"


async def test_names_are_split_to_fit_a_line(harness: Harness) -> None:
    first = await harness.user("n" * 30 + "00")
    await first.ask("JOIN #big")
    for i in range(1, 30):
        await (await harness.user("n" * 30 + f"{i:02}")).ask("JOIN #big")
    replies = await first.ask("NAMES #big")
    lines = params(replies, "353")
    assert len(lines) > 1
    assert sum(len(p[-1].split()) for p in lines) == 30
    assert all(len(" ".join(p)) < 512 for p in lines)


async def test_multi_prefix_and_userhost_in_names(harness: Harness) -> None:
    alice, bob = await two_in(harness)
    await alice.ask("MODE #c +v alice")
    carol = await harness.user("carol", caps=("multi-prefix", "userhost-in-names"))
    replies = await carol.ask("JOIN #c")
    names = find(replies, "353").params[-1].split()
    assert names == ["@+alice!~alice@10.0.0.1", "bob!~bob@10.0.0.2", "carol!~carol@10.0.0.3"]
    assert find(await bob.ask("NAMES #c"), "353").params[-1].split()[0] == "@alice"


async def test_extended_join_and_account_in_join(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("extended-join",))
    await alice.ask("JOIN #c")
    bob = await harness.user("bob", "REGISTER * * :a good password", caps=())
    assert bob.session.account == "bob"
    await bob.ask("JOIN #c")
    assert find(alice.lines(), "JOIN").params == ("#c", "bob", "bob")
    carol = await harness.user("carol")
    await carol.ask("JOIN #c")
    assert find(alice.lines(), "JOIN").params == ("#c", "*", "carol")
    assert find(bob.lines(), "JOIN").params == ("#c",)


async def test_an_away_user_joining_is_followed_by_its_away(harness: Harness) -> None:
    # away-notify: "AWAY :reason" right after the JOIN, to those with the cap only.
    alice = await harness.user("alice", caps=("away-notify",))
    plain = await harness.user("plain")
    await alice.ask("JOIN #c")
    await plain.ask("JOIN #c")
    alice.lines()
    bob = await harness.user("bob", "AWAY :out to lunch")
    replies = await bob.ask("JOIN #c")
    assert "AWAY" not in commands(replies)  # not to the joiner itself
    seen = alice.lines()
    assert commands(seen) == ["JOIN", "AWAY"]
    assert seen[1].params == ("out to lunch",) and seen[1].source == seen[0].source
    assert commands(plain.lines()) == ["JOIN"]
    here = await harness.user("carol")
    await here.ask("JOIN #c")
    assert commands(alice.lines()) == ["JOIN"]  # not away: no AWAY


async def test_account_tag_on_every_message_of_a_logged_in_user(harness: Harness) -> None:
    # account-tag: every message a logged-in user sends carries its account, INVITE
    # included (https://ircv3.net/specs/extensions/account-tag).
    watcher = await harness.user("watcher", caps=("account-tag",))
    carol = await harness.user("carol", caps=("account-tag",))
    alice = await harness.user("alice", "REGISTER * * :a good password")
    await alice.ask("JOIN #c")
    await watcher.ask("JOIN #c")
    alice.lines()
    watcher.lines()
    await alice.ask("INVITE carol #c")
    assert find(carol.lines(), "INVITE").tags == {"account": "alice"}
    seen: dict[str, dict[str, str]] = {}
    for line in ("TOPIC #c :a topic", "MODE #c +m", "KICK #c watcher :bye"):
        await alice.ask(line)
        for got in watcher.lines():
            seen[got.command] = dict(got.tags)
    await watcher.ask("JOIN #c")
    for line in ("PART #c :later", "JOIN #c", "AWAY :gone", "NICK alice2", "QUIT :bye"):
        await alice.ask(line)
    for got in watcher.lines():
        seen.setdefault(got.command, dict(got.tags))
    for command in ("TOPIC", "MODE", "KICK", "PART", "JOIN", "NICK", "QUIT"):
        assert seen[command] == {"account": "alice"}, command


async def test_list(harness: Harness) -> None:
    alice, _bob = await two_in(harness)
    await alice.ask("TOPIC #c :the topic")
    await alice.ask("JOIN #secret")
    await alice.ask("MODE #secret +s")
    carol = await harness.user("carol")
    replies = await carol.ask("LIST")
    assert commands(replies)[0] == "321" and commands(replies)[-1] == "323"
    listed = {p[1]: p[2:] for p in params(replies, "322")}
    assert listed == {"#lobby": ("0", ""), "#c": ("2", "the topic")}
    assert "#secret" in {p[1] for p in params(await alice.ask("LIST"), "322")}
    assert [p[1] for p in params(await carol.ask("LIST #C"), "322")] == ["#c"]
    assert [p[1] for p in params(await carol.ask("LIST >1"), "322")] == ["#c"]
    assert [p[1] for p in params(await carol.ask("LIST <1"), "322")] == ["#lobby"]


async def test_kick(harness: Harness) -> None:
    alice, bob = await two_in(harness)
    carol = await harness.user("carol")
    await carol.ask("JOIN #c")
    alice.lines()
    bob.lines()
    replies = await alice.ask("KICK #c bob :behave")
    assert find(replies, "KICK").params == ("#c", "bob", "behave")
    assert find(bob.lines(), "KICK").params == ("#c", "bob", "behave")
    assert find(carol.lines(), "KICK").source.startswith("alice!")
    assert bob.session.channels == set()
    # The reason defaults to the kicker's nick.
    await bob.ask("JOIN #c")
    assert find(await alice.ask("KICK #c bob"), "KICK").params == ("#c", "bob", "alice")


async def test_kick_errors(harness: Harness) -> None:
    alice, bob = await two_in(harness)
    carol = await harness.user("carol")
    assert find(await alice.ask("KICK #c"), "461").params[1] == "KICK"
    assert find(await alice.ask("KICK #nowhere bob"), "403")
    assert find(await carol.ask("KICK #c bob"), "442")
    assert find(await bob.ask("KICK #c alice"), "482")
    assert find(await alice.ask("KICK #c carol"), "441").params[1:3] == ("carol", "#c")
    assert find(await alice.ask("KICK #c nobody"), "441")


async def test_labeled_join_comes_in_one_batch(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("labeled-response", "batch"))
    replies = await alice.ask("@label=j1 JOIN #c")
    assert replies[0].command == "BATCH" and replies[0].tags["label"] == "j1"
    assert replies[0].params[1] == "labeled-response"
    ref = replies[0].params[0][1:]
    assert all(line.tags.get("batch") == ref for line in replies[1:-1])
    assert replies[-1].params == (f"-{ref}",)
    assert commands(replies[1:-1]) == ["JOIN", "353", "366"]


async def test_server_time_on_join_for_those_who_asked(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("server-time",))
    bob = await harness.user("bob")
    assert "time" in find(await alice.ask("JOIN #c"), "JOIN").tags
    assert find(await bob.ask("JOIN #c"), "JOIN").tags == {}
    assert "time" in find(alice.lines(), "JOIN").tags
