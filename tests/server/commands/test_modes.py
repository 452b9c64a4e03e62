"""MODE for users (+i, +B, -o) and channels (flags, +k, +l, +o/+v, +b/+e/+I) in memory.

Modern IRC "MODE message" and "Channel modes".
"""

from __future__ import annotations

import asyncio

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from support.core import FakeClient, Harness, commands, find, join, params


async def test_user_mode_invisible(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("MODE alice +i")
    assert find(replies, "MODE").params == ("alice", "+i")
    assert find(await alice.ask("MODE alice"), "221").params[1] == "+i"
    assert await alice.ask("MODE alice +i") == []  # no change, nothing said
    assert find(await alice.ask("MODE Alice -i"), "MODE").params == ("alice", "-i")
    assert find(await alice.ask("MODE alice"), "221").params[1] == "+"


async def test_user_mode_errors(harness: Harness) -> None:
    alice = await harness.user("alice")
    assert find(await alice.ask("MODE"), "461").params[1] == "MODE"
    assert await alice.ask("MODE alice +o") == []  # only OPER gives +o
    replies = await alice.ask("MODE alice +xi")
    assert commands(replies) == ["501", "MODE"]  # the known part applies
    assert find(await alice.ask("MODE bob +i"), "401").params[1] == "bob"
    await harness.user("bob")
    assert find(await alice.ask("MODE bob +i"), "502")
    assert find(await alice.ask("MODE bob"), "502")


async def test_user_mode_bot_and_the_bot_tag(harness: Harness) -> None:
    # https://ircv3.net/specs/extensions/bot-mode: +B; what a bot says carries the
    # ``bot`` tag (without a value), for those with message-tags only.
    alice = await harness.user("alice", caps=("message-tags",))
    carol = await harness.user("carol")
    bot = await harness.user("robo", caps=("echo-message", "message-tags"))
    await join("#c", alice, carol, bot)
    assert find(await bot.ask("MODE robo +B"), "MODE").params == ("robo", "+B")
    assert find(await bot.ask("MODE robo"), "221").params[1] == "+B"
    echo = find(await bot.ask("PRIVMSG #c :beep"), "PRIVMSG")
    assert echo.tags.get("bot") == ""
    assert find(alice.lines(), "PRIVMSG").tags.get("bot") == ""
    assert "bot" not in find(carol.lines(), "PRIVMSG").tags
    await bot.ask("NOTICE alice :boop")
    assert find(alice.lines(), "NOTICE").tags.get("bot") == ""
    await bot.ask("MODE robo -B")
    await bot.ask("PRIVMSG #c :human now")
    assert "bot" not in find(alice.lines(), "PRIVMSG").tags


async def test_operator_may_drop_operator_status(harness: Harness) -> None:
    root = await harness.oper("root")
    assert find(await root.ask("MODE root -o"), "MODE").params == ("root", "-o")
    assert not root.session.is_operator


async def test_channel_modes_query_and_change(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await join("#c", alice, bob)
    replies = await alice.ask("MODE #c")
    assert commands(replies) == ["324", "329"]
    assert find(replies, "324").params[1:] == ("#c", "+nt")
    replies = await alice.ask("MODE #c +lk 5 pw")
    assert find(replies, "MODE").params == ("#c", "+lk", "5", "pw")
    assert find(bob.lines(), "MODE").params == ("#c", "+lk", "5", "pw")
    assert find(await bob.ask("MODE #c"), "324").params[2:] == ("+ntkl", "pw", "5")
    # Outsiders see that there is a key, not the key.
    carol = await harness.user("carol")
    assert find(await carol.ask("MODE #c"), "324").params[2:] == ("+ntkl", "*", "5")
    assert find(await bob.ask("MODE #c -t"), "482").params[1] == "#c"
    await alice.ask("MODE #c +o bob")
    assert find(bob.lines(), "MODE").params == ("#c", "+o", "bob")
    replies = await bob.ask("MODE #c -k+z *")
    assert commands(replies) == ["472", "MODE"]
    assert find(replies, "472").params[1] == "z"
    assert find(replies, "MODE").params == ("#c", "-k", "*")


async def test_flags_are_announced_once_and_only_changes(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await join("#c", alice, bob)
    assert find(await alice.ask("MODE #c +imst-n"), "MODE").params == ("#c", "+ims-n")
    assert params(bob.lines(), "MODE") == [("#c", "+ims-n")]
    assert await alice.ask("MODE #c +i") == []
    assert find(await alice.ask("MODE #c"), "324").params[2] == "+imst"


async def test_channel_mode_errors(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await join("#c", alice, bob)
    assert find(await alice.ask("MODE #nowhere"), "403").params[1] == "#nowhere"
    assert find(await alice.ask("MODE #c +l nonsense"), "696").params[1:4] == (
        "#c",
        "l",
        "nonsense",
    )
    assert find(await alice.ask("MODE #c +l 0"), "696")
    assert find(await alice.ask("MODE #c +o ghost"), "401").params[1] == "ghost"
    carol = await harness.user("carol")
    assert find(await alice.ask("MODE #c +v carol"), "441").params[1:3] == ("carol", "#c")
    assert find(await alice.ask("MODE #c +o"), "461")
    assert find(await alice.ask("MODE #c +k"), "461")
    assert find(await alice.ask("MODE #c +k ::bad"), "525")
    assert find(await alice.ask("MODE #c +k a,b"), "525")
    assert find(await carol.ask("MODE #c +m"), "442")
    assert find(await bob.ask("MODE #c +m"), "482")


async def test_secret_channel_shows_outsiders_nothing(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await alice.ask("JOIN #s")
    await alice.ask("MODE #s +s")
    assert commands(await bob.ask("MODE #s")) == ["442"]
    assert commands(await bob.ask("MODE #s b")) == ["442"]


async def test_at_most_six_changes_per_command(harness: Harness) -> None:
    alice = await harness.user("alice")
    await alice.ask("JOIN #c")
    replies = await alice.ask("MODE #c +bbbbbbbb a b c d e f g h")
    assert find(replies, "MODE").params[1] == "+bbbbbb"
    assert len(find(replies, "MODE").params) == 8


async def test_status_modes(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await join("#c", alice, bob)
    replies = await alice.ask("MODE #c +ov bob BOB")
    assert find(replies, "MODE").params == ("#c", "+ov", "bob", "bob")
    assert find(await bob.ask("NAMES #c"), "353").params[-1].split() == ["@alice", "@bob"]
    await bob.ask("MODE #c -o bob")
    assert find(await bob.ask("NAMES #c"), "353").params[-1].split() == ["@alice", "+bob"]


async def test_ban_exception_and_lists(harness: Harness) -> None:
    alice = await harness.user("alice")
    await alice.ask("JOIN #b")
    assert find(await alice.ask("MODE #b +b evil"), "MODE").params == ("#b", "+b", "evil!*@*")
    evil = await harness.user("evil", address="10.9.9.9")
    assert find(await evil.ask("JOIN #b"), "474").params[1] == "#b"
    await alice.ask("MODE #b +e evil!*@10.9.9.9")
    assert "JOIN" in commands(await evil.ask("JOIN #b"))
    replies = await alice.ask("MODE #b +b")
    assert [p[2] for p in params(replies, "367")] == ["evil!*@*"]
    assert find(replies, "367").params[3] == "alice!~alice@10.0.0.1"
    assert commands(replies)[-1] == "368"
    replies = await alice.ask("MODE #b e")
    assert [p[2] for p in params(replies, "348")] == ["evil!*@10.9.9.9"]
    assert commands(replies)[-1] == "349"
    assert commands(await alice.ask("MODE #b I")) == ["347"]
    # Members who are not operators may read the lists too, not change them.
    assert "367" in commands(await evil.ask("MODE #b b"))
    assert find(await evil.ask("MODE #b +b x"), "482")
    # Removing a ban shows the mask as it was set.
    assert find(await alice.ask("MODE #b -b EVIL!*@*"), "MODE").params == (
        "#b",
        "-b",
        "evil!*@*",
    )
    assert await alice.ask("MODE #b -b nothere") == []


async def test_bad_mask_is_refused(harness: Harness) -> None:
    alice = await harness.user("alice")
    await alice.ask("JOIN #b")
    replies = await alice.ask("MODE #b +b :a\x07b")
    assert find(replies, "696").params[1:3] == ("#b", "b")


async def test_list_is_bounded() -> None:
    config = Config(max_list_entries=2, flood_enabled=False)
    server = Server(config, asyncio.get_running_loop(), commands=COMMANDS)
    alice = await FakeClient(server).register("alice", caps=())
    await alice.ask("JOIN #b")
    replies = await alice.ask("MODE #b +bbb a b c")
    assert find(replies, "478").params[1:3] == ("#b", "c!*@*")
    assert find(replies, "MODE").params == ("#b", "+bb", "a!*@*", "b!*@*")
    server.shutdown()


async def test_limit_is_enforced(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await alice.ask("JOIN #small")
    await alice.ask("MODE #small +l 1")
    assert find(await bob.ask("JOIN #small"), "471").params[1] == "#small"
    assert find(await alice.ask("MODE #small -l"), "MODE").params == ("#small", "-l")
    assert "JOIN" in commands(await bob.ask("JOIN #small"))


async def test_server_time_on_mode_changes(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("server-time",))
    await alice.ask("JOIN #c")
    assert "time" in find(await alice.ask("MODE #c +m"), "MODE").tags


async def test_a_ban_by_address_holds_under_any_nick(harness: Harness) -> None:
    op = await harness.user("op")
    await op.ask("JOIN #quiet")
    await op.ask("MODE #quiet +b *!*@10.6.6.6")
    for nick in ("mal", "mal2", "totally_new"):
        client = await harness.user(nick, address="10.6.6.6")
        assert find(await client.ask("JOIN #quiet"), "474").params[1] == "#quiet"
    assert "JOIN" in commands(await (await harness.user("fine")).ask("JOIN #quiet"))
