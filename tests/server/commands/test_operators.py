"""OPER, KILL, KLINE, UNKLINE and STATS in memory."""

from __future__ import annotations

import re

from support.core import OPER_NAME, OPER_PASSWORD, Harness, commands, find, join


async def test_oper_with_the_right_password(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.expect(f"OPER {OPER_NAME} :{OPER_PASSWORD}", "381", "464")
    assert commands(replies) == ["381", "MODE"]
    assert find(replies, "MODE").params == ("alice", "+o")
    assert find(await alice.ask("MODE alice"), "221").params[1] == "+o"


async def test_oper_refusals_look_alike(harness: Harness) -> None:
    alice = await harness.user("alice")
    wrong = await alice.expect(f"OPER {OPER_NAME} :wrong", "381", "464")
    unknown = await alice.expect(f"OPER nobody :{OPER_PASSWORD}", "381", "464")
    assert commands(wrong) == commands(unknown) == ["464"]
    assert not alice.session.is_operator
    assert find(await alice.ask("OPER root"), "461").params[1] == "OPER"


async def test_oper_guessing_is_throttled(harness: Harness) -> None:
    alice = await harness.user("alice")
    for _ in range(3):
        await alice.expect(f"OPER {OPER_NAME} :wrong", "464")
    # Refused at once now, even with the right password.
    assert commands(await alice.ask(f"OPER {OPER_NAME} :{OPER_PASSWORD}")) == ["464"]
    assert not alice.session.is_operator


async def test_operator_commands_need_an_operator(harness: Harness) -> None:
    alice = await harness.user("alice")
    for line in ("KILL bob :x", "KLINE *!*@x", "UNKLINE *!*@x", "STATS N", "PURGE #c"):
        assert commands(await alice.ask(line)) == ["481"], line


async def test_kill(harness: Harness) -> None:
    root = await harness.oper("root")
    bob = await harness.user("bob")
    carol = await harness.user("carol")
    await join("#c", bob, carol)
    assert await root.ask("KILL bob :spamming") == []
    told = bob.lines()
    assert find(told, "KILL").params == ("bob", "spamming")
    assert find(told, "KILL").source.startswith("root!")
    assert "ERROR" in commands(told) and bob.transport.closed
    assert find(carol.lines(), "QUIT").params == ("Killed (root (spamming))",)
    assert find(await root.ask("KILL nobody :x"), "401").params[1] == "nobody"
    assert find(await root.ask("KILL carol"), "461")


async def test_kline_bans_now_and_at_registration(harness: Harness) -> None:
    root = await harness.oper("root")
    victim = await harness.user("victim", address="10.6.6.6")
    replies = await root.expect("KLINE 60 *!*@10.6.6.6 :go away", "NOTE", "FAIL")
    assert find(replies, "NOTE").params == ("KLINE", "ADDED", "*!*@10.6.6.6", "go away")
    assert victim.transport.closed
    again = harness.connect("10.6.6.6")
    again.send("NICK other", "USER o 0 * :o")
    replies = await again.ask("PING x")
    assert commands(replies) == ["465", "ERROR"]
    assert "go away" in find(replies, "465").params[-1]
    listed = await root.ask("KLINE LIST")
    assert find(listed, "NOTE").params[:3] == ("KLINE", "BAN", "*!*@10.6.6.6")
    assert listed[-1].params == ("KLINE", "END", "1 ban(s)")
    replies = await root.expect("UNKLINE *!*@10.6.6.6", "NOTE", "FAIL")
    assert find(replies, "NOTE").params == ("UNKLINE", "REMOVED", "*!*@10.6.6.6")
    replies = await root.expect("UNKLINE *!*@10.6.6.6", "NOTE", "FAIL")
    assert find(replies, "NOTE").params == ("UNKLINE", "NOT_FOUND", "*!*@10.6.6.6")
    welcome = harness.connect("10.6.6.6")
    welcome.send("NICK other", "USER o 0 * :o")
    assert "001" in commands(await welcome.ask("PING x"))


async def test_kline_completes_a_nick_and_spares_its_setter(harness: Harness) -> None:
    root = await harness.oper("root")
    replies = await root.expect("KLINE root", "NOTE", "FAIL")
    assert find(replies, "NOTE").params == ("KLINE", "ADDED", "root!*@*", "No reason given")
    assert not root.transport.closed


async def test_kline_bad_mask(harness: Harness) -> None:
    root = await harness.oper("root")
    fail = find(await root.ask("KLINE :a b"), "FAIL")
    assert fail.params[:3] == ("KLINE", "INVALID_MASK", "*")  # a space cannot be echoed
    assert find(await root.ask("KLINE"), "461")


async def test_kline_without_the_account_store() -> None:
    harness = Harness(accounts=False)
    root = await harness.oper("root")
    fail = find(await root.ask("KLINE *!*@x"), "FAIL")
    assert fail.params[:3] == ("KLINE", "UNAVAILABLE", "*!*@x")
    fail = find(await root.ask("UNKLINE *!*@x"), "FAIL")
    assert fail.params[:2] == ("UNKLINE", "UNAVAILABLE")
    await harness.close()


async def test_stats(harness: Harness) -> None:
    root = await harness.oper("root")
    replies = await root.ask("STATS N")
    assert commands(replies) == ["249", "219"]
    assert find(replies, "249").params[1] == "chatroom (alone) 1 users (this process)"
    assert commands(await root.ask("STATS x")) == ["219"]
    assert find(await root.ask("STATS"), "461")


async def test_stats_u_is_open_to_everyone_and_other_letters_end_at_once(
    harness: Harness,
) -> None:
    # Issue 17: STATS u (uptime) is open to everyone on most servers; the docs say an
    # unknown letter answers 219, which only operators got.
    alice = await harness.user("alice")
    replies = await alice.ask("STATS u")
    assert commands(replies) == ["242", "219"]
    assert re.fullmatch(r"Server Up 0 days 00:00:\d\d", find(replies, "242").params[1])
    assert find(replies, "219").params[1:] == ("u", "End of /STATS report")
    assert commands(await alice.ask("STATS x")) == ["219"]
    assert commands(await alice.ask("STATS N")) == ["481"]  # the network: operators only
