"""ChanServ in memory: CHANSERV/CS and PRIVMSG ChanServ (REGISTER, UNREGISTER, INFO, HELP)."""

from __future__ import annotations

from support.core import FakeClient, Harness, commands, find, join

PASSWORD = "correct horse battery"


async def ask(client: FakeClient, text: str) -> list[str]:
    """Ask ChanServ (its answer may wait on the account store); its NOTICEs' texts."""
    replies = await client.expect(f"CS {text}", "NOTICE")
    notices = [line for line in replies if line.command == "NOTICE"]
    assert all(line.source.startswith("ChanServ!ChanServ@chatroom") for line in notices)
    return [line.params[1] for line in notices]


async def owner(harness: Harness, nick: str = "olga") -> FakeClient:
    return await harness.user(nick, f"REGISTER * * :{PASSWORD}")


async def test_help_for_anything_unknown(harness: Harness) -> None:
    alice = await harness.user("alice")
    for text in ("HELP", "FROB #c"):
        answer = await ask(alice, text)
        assert answer[0].startswith("ChanServ keeps registered rooms")
        assert len(answer) == 4
    assert find(await alice.ask("CHANSERV"), "461").params[1] == "CHANSERV"
    # The same through PRIVMSG, any case.
    replies = await alice.ask("PRIVMSG chanserv :help")
    assert commands(replies) == ["NOTICE"] * 4


async def test_register_a_room(harness: Harness) -> None:
    olga = await owner(harness)
    await olga.ask("JOIN #club")
    assert await ask(olga, "INFO #club") == ["#club is not registered."]
    answer = await ask(olga, "REGISTER #club")
    assert answer == [
        "#club is registered to you. Its topic, modes, bans and operators are kept from now on."
    ]
    assert (await ask(olga, "INFO #club"))[0].startswith("#club was registered by olga on ")
    assert await ask(olga, "REGISTER #club") == ["#club is already registered."]
    # It stays when empty, keeps its topic, and its founder is operator again.
    await olga.ask("TOPIC #club :Chess")
    await olga.ask("PART #club")
    anon = await harness.user("anon")
    replies = await anon.ask("JOIN #club")
    assert find(replies, "332").params[-1] == "Chess"
    assert find(replies, "353").params[-1] == "anon"
    replies = await olga.ask("JOIN #club")
    assert sorted(find(replies, "353").params[-1].split()) == ["@olga", "anon"]


async def test_register_refusals(harness: Harness) -> None:
    anon = await harness.user("anon")
    olga = await owner(harness)
    await join("#club", anon, olga)
    assert await ask(anon, "REGISTER #club") == ["Log in first (SASL, or REGISTER an account)."]
    assert await ask(olga, "REGISTER #club") == ["You must be an operator of #club."]
    assert await ask(olga, "REGISTER #nowhere") == ["There is no room called #nowhere."]
    assert await ask(olga, "REGISTER") == ["There is no room called (none given)."]


async def test_unregister(harness: Harness) -> None:
    olga = await owner(harness)
    await olga.ask("JOIN #club")
    await ask(olga, "REGISTER #club")
    other = await owner(harness, "other")
    await other.ask("JOIN #club")
    assert await ask(other, "UNREGISTER #club") == ["Only the founder of #club may unregister it."]
    assert await ask(olga, "UNREGISTER #club") == ["#club is no longer registered."]
    assert await ask(olga, "UNREGISTER #club") == ["Only the founder of #club may unregister it."]
    root = await harness.oper("root")
    assert await ask(root, "UNREGISTER #club") == ["#club was not registered."]
    # Unregistered and empty, the room goes away.
    await olga.ask("PART #club")
    await other.ask("PART #club")
    assert harness.server.find_channel("#club") is None


async def test_an_irc_operator_may_unregister_any_room(harness: Harness) -> None:
    olga = await owner(harness)
    await olga.ask("JOIN #club")
    await ask(olga, "REGISTER #club")
    root = await harness.oper("root")
    assert await ask(root, "UNREGISTER #club") == ["#club is no longer registered."]


async def test_without_accounts() -> None:
    harness = Harness(accounts=False)
    alice = await harness.user("alice")
    await alice.ask("JOIN #c")
    assert await ask(alice, "REGISTER #c") == ["Accounts are turned off on this server."]
    await harness.close()


async def test_nobody_can_be_chanserv(harness: Harness) -> None:
    client = harness.connect()
    for nick in ("ChanServ", "NICKSERV"):
        assert find(await client.ask(f"NICK {nick}"), "432").params[1] == nick
