"""MOTD, LUSERS, VERSION, TIME, INFO, ADMIN, LINKS and the ISUPPORT burst in memory."""

from __future__ import annotations

import asyncio

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from support.core import FakeClient, Harness, commands, find, params


async def test_motd(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("MOTD")
    assert commands(replies) == ["375", "372", "376"]
    assert "Welcome to chatroom" in find(replies, "372").params[1]
    assert commands(await alice.ask("MOTD chatroom")) == ["375", "372", "376"]
    assert find(await alice.ask("MOTD other.server"), "402").params[1] == "other.server"


async def test_empty_motd_is_422() -> None:
    server = Server(
        Config(motd=" ", flood_enabled=False), asyncio.get_running_loop(), commands=COMMANDS
    )
    alice = FakeClient(server)
    alice.send("NICK alice", "USER a 0 * :A")
    assert "422" in commands(await alice.ask("PING x"))
    assert commands(await alice.ask("MOTD")) == ["422"]
    server.shutdown()


async def test_lusers_counts_follow_modes_and_departures(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    harness.connect()  # not registered: unknown
    await bob.ask("MODE bob +i")
    replies = await alice.ask("LUSERS")
    assert commands(replies) == ["251", "252", "253", "254", "255", "265", "266"]
    assert find(replies, "251").params[1] == "There are 1 users and 1 invisible on 1 servers"
    assert find(replies, "252").params[1] == "0"
    assert find(replies, "253").params[1] == "1"
    assert find(replies, "254").params[1] == "1"  # the default room
    assert find(replies, "265").params[1:3] == ("2", "2")
    await bob.ask("QUIT")
    await harness.oper("root")
    replies = await alice.ask("LUSERS")
    assert find(replies, "251").params[1] == "There are 2 users and 0 invisible on 1 servers"
    assert find(replies, "252").params[1] == "1"
    assert find(replies, "266").params[1:3] == ("2", "2")  # a high-water mark


async def test_version_time_and_other_servers(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("VERSION")
    assert find(replies, "351").params[1].startswith("chatroom-")
    assert "005" in commands(replies)
    assert find(await alice.ask("TIME"), "391").params[1] == "chatroom"
    assert find(await alice.ask("TIME elsewhere"), "402")
    assert find(await alice.ask("VERSION elsewhere"), "402")


async def test_isupport_tells_the_limits() -> None:
    config = Config(nicklen=20, max_targets=3, flood_enabled=False)
    server = Server(config, asyncio.get_running_loop(), commands=COMMANDS)
    alice = FakeClient(server)
    alice.send("NICK alice", "USER a 0 * :A")
    replies = await alice.ask("PING x")
    tokens = [t for p in params(replies, "005") for t in p[1:-1]]
    assert "NICKLEN=20" in tokens and "MAXTARGETS=3" in tokens
    assert "PREFIX=(ov)@+" in tokens and "STATUSMSG=@+" in tokens
    assert "WHOX" in tokens and "BOT=B" in tokens  # IRCv3 whox, bot-mode
    assert not any(t.startswith("CHATHISTORY") for t in tokens)  # no history store
    assert all(len(p) <= 15 for p in params(replies, "005"))
    server.shutdown()


async def test_isupport_with_history(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("VERSION")
    tokens = [t for p in params(replies, "005") for t in p[1:-1]]
    assert "CHATHISTORY=100" in tokens and "MSGREFTYPES=msgid,timestamp" in tokens


async def test_info_admin_and_links(harness: Harness) -> None:
    # Issue 17: these answered 421; Modern IRC lists their replies.
    alice = await harness.user("alice")
    replies = await alice.ask("INFO")
    assert set(commands(replies[:-1])) == {"371"} and commands(replies)[-1] == "374"
    assert "chatroom" in replies[0].params[1]
    assert find(await alice.ask("INFO elsewhere"), "402").params[1] == "elsewhere"
    replies = await alice.ask("ADMIN")
    assert commands(replies) == ["256", "257", "258", "259"]
    assert replies[0].params[1:] == ("chatroom", "Administrative info")
    assert find(await alice.ask("ADMIN chatroom"), "256")
    replies = await alice.ask("LINKS")
    assert params(replies, "364") == [("alice", "*", "chatroom", "0 chatroom chat server")]
    assert params(replies, "365") == [("alice", "*", "End of /LINKS list")]


async def test_admin_shows_the_configured_contact() -> None:
    harness = Harness(Config(flood_enabled=False, admin_email="ops@chat.example"))
    alice = await harness.user("alice")
    assert find(await alice.ask("ADMIN"), "259").params[1] == "ops@chat.example"
    await harness.close()


async def test_isupport_advertises_the_upload_url() -> None:
    # https://soju.im/filehost: the token's value is where to POST a file.
    url = "https://chat.example/upload"
    config = Config(files_url=url, flood_enabled=False)
    server = Server(config, asyncio.get_running_loop(), commands=COMMANDS)
    alice = FakeClient(server)
    alice.send("NICK alice", "USER a 0 * :A")
    tokens = [t for p in params(await alice.ask("PING x"), "005") for t in p[1:-1]]
    assert f"soju.im/FILEHOST={url}" in tokens
    server.shutdown()
