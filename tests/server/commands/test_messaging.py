"""PRIVMSG, NOTICE and TAGMSG in memory: targets, errors, and the IRCv3 caps that
shape what is relayed (echo-message, message-tags, server-time, account-tag,
labeled-response)."""

from __future__ import annotations

import asyncio

import pytest

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.network.events import ChannelMessage, PrivateMessage, UserUp
from chatroom.server.network.view import RemoteUser
from chatroom.server.server import Server
from chatroom.server.session import Session
from chatroom.storage.conversations import dm_key
from support.core import FakeClient, Harness, commands, find, join, params
from support.fakes import FakeNetwork

ALL_TAGS = ("message-tags", "server-time", "echo-message", "labeled-response", "batch")


async def test_channel_message_reaches_the_others_not_the_sender(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    carol = await harness.user("carol")
    await join("#c", alice, bob)
    assert await alice.ask("PRIVMSG #c :hello all") == []
    got = find(bob.lines(), "PRIVMSG")
    assert got.params == ("#c", "hello all") and got.source == "alice!~alice@10.0.0.1"
    assert got.tags == {}  # no caps: no tags
    assert carol.lines() == []


async def test_private_message_and_away_reply(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    assert await alice.ask("PRIVMSG BOB :hi bob") == []
    assert find(bob.lines(), "PRIVMSG").params == ("bob", "hi bob")
    await bob.ask("AWAY :out to lunch")
    assert find(await alice.ask("PRIVMSG bob :still there?"), "301").params[1:] == (
        "bob",
        "out to lunch",
    )
    assert await alice.ask("NOTICE bob :no away reply to notices") == []
    assert find(bob.lines(), "NOTICE").params[1] == "no away reply to notices"


async def test_several_targets_and_a_target_named_twice(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    carol = await harness.user("carol")
    await bob.ask("JOIN #c")
    replies = await alice.ask("PRIVMSG bob,carol,nobody :hi")
    assert find(replies, "401").params[1] == "nobody"
    assert params(carol.lines(), "PRIVMSG") == [("carol", "hi")]
    assert params(bob.lines(), "PRIVMSG") == [("bob", "hi")]
    await alice.ask("JOIN #c")
    await alice.ask("PRIVMSG #c,#C,bob,BOB :once")
    assert len(params(bob.lines(), "PRIVMSG")) == 2  # once in #c, once privately


async def test_too_many_targets(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("PRIVMSG a,b,c,d,e :x")
    assert find(replies, "407").params[1] == "a,b,c,d,e"
    assert await alice.ask("NOTICE a,b,c,d,e :x") == []


async def test_missing_recipient_or_text(harness: Harness) -> None:
    alice = await harness.user("alice")
    assert find(await alice.ask("PRIVMSG"), "411").params[1] == "No recipient given (PRIVMSG)"
    assert find(await alice.ask("PRIVMSG bob"), "412")
    assert find(await alice.ask("PRIVMSG #lobby :"), "412")
    assert find(await alice.ask("TAGMSG"), "461").params[1] == "TAGMSG"
    # NOTICE never gets an automatic reply (Modern IRC).
    for line in ("NOTICE", "NOTICE bob", "NOTICE nobody :x", "NOTICE #nowhere :x"):
        assert await alice.ask(line) == [], line


async def test_no_such_target(harness: Harness) -> None:
    alice = await harness.user("alice")
    assert find(await alice.ask("PRIVMSG nobody :x"), "401").params[1] == "nobody"
    assert find(await alice.ask("PRIVMSG #nowhere :x"), "403").params[1] == "#nowhere"


async def test_no_external_messages_moderated_and_banned(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    await alice.ask("JOIN #m")
    # +n (on by default): outsiders cannot send.
    assert find(await bob.ask("PRIVMSG #m :from outside"), "404").params[1] == "#m"
    await bob.ask("JOIN #m")
    await alice.ask("MODE #m +m")
    assert find(await bob.ask("PRIVMSG #m :muted"), "404")
    assert await bob.ask("NOTICE #m :muted") == []
    await alice.ask("MODE #m +v bob")
    assert "404" not in commands(await bob.ask("PRIVMSG #m :voiced"))
    assert params(alice.lines(), "PRIVMSG") == [("#m", "voiced")]
    await alice.ask("MODE #m -m-v bob")
    await alice.ask("MODE #m +b bob!*@*")
    assert find(await bob.ask("PRIVMSG #m :banned"), "404")
    await alice.ask("MODE #m +e bob!*@*")
    assert "404" not in commands(await bob.ask("PRIVMSG #m :excepted"))
    assert params(alice.lines(), "PRIVMSG") == [("#m", "excepted")]


async def test_statusmsg_reaches_only_operators_or_voiced(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob")
    carol = await harness.user("carol")
    await join("#s", alice, bob, carol)
    await alice.ask("MODE #s +v bob")
    bob.lines()
    carol.lines()
    await carol.ask("PRIVMSG @#s :ops only")
    assert params(alice.lines(), "PRIVMSG") == [("@#s", "ops only")]
    assert bob.lines() == []
    await carol.ask("PRIVMSG +#s :voiced and up")
    assert params(alice.lines(), "PRIVMSG") == [("+#s", "voiced and up")]
    assert params(bob.lines(), "PRIVMSG") == [("+#s", "voiced and up")]


async def test_echo_tags_and_label(harness: Harness) -> None:
    alice = await harness.user("alice", caps=ALL_TAGS)
    bob = await harness.user("bob", caps=("message-tags", "server-time"))
    plain = await harness.user("plain")
    await join("#t", alice, bob, plain)
    replies = await alice.ask("@label=L1;+draft/react=yes PRIVMSG #t :tagged")
    echo = find(replies, "PRIVMSG")
    assert echo.tags["label"] == "L1" and echo.params == ("#t", "tagged")
    got = find(bob.lines(), "PRIVMSG")
    assert got.tags["+draft/react"] == "yes"
    assert got.tags["msgid"] == echo.tags["msgid"]
    assert got.tags["time"].endswith("Z") and "label" not in got.tags
    assert find(plain.lines(), "PRIVMSG").tags == {}


async def test_targets_are_relayed_and_stored_by_their_canonical_name(harness: Harness) -> None:
    # Issue 17: "PRIVMSG #LOBBY" was relayed and stored as "#LOBBY", while JOIN, PART,
    # NAMES and TOPIC show the channel's own name; a message to CASEB as "CASEB".
    alice = await harness.user("alice", caps=("echo-message", "batch", "message-tags"))
    bob = await harness.user("CaseB", caps=("message-tags",))
    await join("#Talk", alice, bob)
    echo = find(await alice.ask("PRIVMSG #TALK :hi"), "PRIVMSG")
    assert echo.params[0] == "#Talk"
    assert find(bob.lines(), "PRIVMSG").params[0] == "#Talk"
    await bob.ask("NOTICE @#TALK :to the operators")
    assert find(alice.lines(), "NOTICE").params[0] == "@#Talk"
    await alice.ask("PRIVMSG CASEB :private")
    assert find(bob.lines(), "PRIVMSG").params[0] == "CaseB"
    await alice.ask("@+typing=active TAGMSG caseb")
    assert find(bob.lines(), "TAGMSG").params == ("CaseB",)
    # Stored so, and the chathistory batch names the canonical target too.
    replayed = await alice.ask("CHATHISTORY LATEST #TALK * 10")
    assert params(replayed, "BATCH")[0][1:] == ("chathistory", "#Talk")
    assert params(replayed, "PRIVMSG")[0][0] == "#Talk"
    replayed = await alice.ask("CHATHISTORY LATEST caseb * 10")
    assert params(replayed, "BATCH")[0][1:] == ("chathistory", "CaseB")
    assert params(replayed, "PRIVMSG")[0][0] == "CaseB"


async def test_client_tags_need_message_tags(harness: Harness) -> None:
    alice = await harness.user("alice")
    bob = await harness.user("bob", caps=("message-tags",))
    await alice.ask("@+secret=1 PRIVMSG bob :hi")
    assert "+secret" not in find(bob.lines(), "PRIVMSG").tags


async def test_tagmsg_reaches_only_message_tags_clients(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("message-tags",))
    bob = await harness.user("bob", caps=("message-tags",))
    plain = await harness.user("plain")
    await join("#t", alice, bob, plain)
    assert await alice.ask("@+typing=active TAGMSG #t") == []
    tagmsg = find(bob.lines(), "TAGMSG")
    assert tagmsg.params == ("#t",) and tagmsg.tags["+typing"] == "active"
    assert plain.lines() == []
    # Without client tags there is nothing to send.
    assert await alice.ask("TAGMSG #t") == []
    assert bob.lines() == []


async def test_account_tag_names_the_senders_account(harness: Harness) -> None:
    alice = await harness.user("alice", "REGISTER * * :a good password")
    bob = await harness.user("bob", caps=("account-tag",))
    carol = await harness.user("carol")
    await alice.ask("PRIVMSG bob :logged in")
    assert find(bob.lines(), "PRIVMSG").tags == {"account": "alice"}
    await carol.ask("PRIVMSG bob :not")
    assert find(bob.lines(), "PRIVMSG").tags == {}


async def test_alone_in_a_channel_your_message_does_not_come_back(harness: Harness) -> None:
    alice = await harness.user("alice")
    await alice.ask("JOIN #alone")
    assert await alice.ask("PRIVMSG #alone :echo?") == []
    # A private message to yourself arrives like any other.
    assert find(await alice.ask("PRIVMSG alice :note to self"), "PRIVMSG").params[1] == (
        "note to self"
    )
    # With echo-message it arrives once, as the echo.
    echoer = await harness.user("echoer", caps=("echo-message",))
    assert len(params(await echoer.ask("PRIVMSG echoer :me"), "PRIVMSG")) == 1


async def test_labeled_message_to_oneself_answers_with_the_labeled_echo(
    harness: Harness,
) -> None:
    # Issue 17: with echo-message, "@label=x PRIVMSG <own nick>" must answer with
    # the echo carrying the label (and once only), for NOTICE and TAGMSG too.
    alice = await harness.user("alice", caps=ALL_TAGS)
    for verb, label in (("PRIVMSG", "p"), ("NOTICE", "n")):
        replies = await alice.ask(f"@label={label} {verb} ALICE :note to self")
        assert commands(replies) == [verb]
        assert replies[0].tags["label"] == label and replies[0].params == ("alice", "note to self")
    replies = await alice.ask("@label=t;+typing=active TAGMSG alice")
    assert commands(replies) == ["TAGMSG"] and replies[0].tags["label"] == "t"


async def test_messages_are_kept_in_history(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("batch", "server-time"))
    bob = await harness.user("bob")
    await alice.ask("JOIN #h")
    await bob.ask("JOIN #h")
    await bob.ask("PRIVMSG #h :first")
    await bob.ask("NOTICE #h :second")
    await bob.ask("PRIVMSG @#h :to ops, not kept")
    assert await alice.history("LATEST", "#h", "*", "10") == ["first", "second"]


async def test_labeled_message_without_echo_is_acknowledged(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("labeled-response", "batch"))
    await harness.user("bob")
    ack = find(await alice.ask("@label=m1 PRIVMSG bob :hi"), "ACK")
    assert ack.tags == {"label": "m1"}


async def test_message_to_chanserv_is_answered_by_chanserv(harness: Harness) -> None:
    alice = await harness.user("alice")
    replies = await alice.ask("PRIVMSG ChanServ :HELP")
    assert replies and all(line.command == "NOTICE" for line in replies)
    assert replies[0].source.startswith("ChanServ!")
    assert await alice.ask("NOTICE ChanServ :HELP") == []


async def test_messages_without_history() -> None:
    server = Server(Config(flood_enabled=False), asyncio.get_running_loop(), commands=COMMANDS)
    alice = await FakeClient(server).register("alice", caps=("echo-message",))
    bob = await FakeClient(server).register("bob", caps=())
    bob.lines()
    assert commands(await alice.ask("PRIVMSG bob :no store")) == ["PRIVMSG"]
    assert find(bob.lines(), "PRIVMSG").params == ("bob", "no store")
    server.shutdown()


async def test_messages_for_other_processes_are_published_once_and_stored(
    harness: Harness,
) -> None:
    """With a network: a nick on another process gets no local copy, its process is
    sent the message (and says if it is away); a channel message goes to the local
    members and is published once, with its status prefix."""
    network = FakeNetwork()
    harness.server.network = network  # type: ignore[assignment]
    up = UserUp("Bob", "Bob!~bob@far", away="elsewhere")
    network.view.add_user("bob", RemoteUser.from_up(up, "p2"))
    alice = await harness.user("alice")
    carol = await harness.user("carol")
    await join("#c", alice, carol)
    replies = await alice.ask("PRIVMSG BOB :over there")
    assert find(replies, "301").params[1:] == ("Bob", "elsewhere")
    assert await alice.ask("NOTICE bob :no away reply") == []
    await alice.ask("PRIVMSG @#c :ops")
    await alice.ask("TAGMSG #c")  # no client tags: nothing to send, nothing published
    published = [
        (type(e).__name__, e.line.command, *e.line.params, getattr(e, "status", ""))
        for e in network.published
        if isinstance(e, PrivateMessage | ChannelMessage)
    ]
    assert published == [
        # Under the recipient's nick as it is now, whatever case the sender wrote.
        ("PrivateMessage", "PRIVMSG", "Bob", "over there", ""),
        ("PrivateMessage", "NOTICE", "Bob", "no away reply", ""),
        ("ChannelMessage", "PRIVMSG", "@#c", "ops", "@"),
    ]
    assert params(carol.lines(), "PRIVMSG") == []  # not an operator
    assert harness.history is not None
    kept = await harness.history.latest(dm_key("alice", "bob"), 10)
    assert [m.text for m in kept] == ["over there", "no away reply"]


async def test_notice_errors_are_silent_but_a_store_failure_is_not(harness: Harness) -> None:
    """No automatic reply to a NOTICE (Modern IRC): no numerics, but the FAIL of a
    store that cannot write is the server's answer, so it is sent."""
    alice = await harness.user("alice")
    await harness.user("bob")
    for line in (
        "NOTICE",
        "NOTICE nobody :x",
        "NOTICE #nowhere :x",
        "NOTICE bob",
        "NOTICE a,b,c,d,e :x",
    ):
        assert await alice.ask(line) == [], line
    assert harness.history is not None
    harness.history.fail_writes = True
    fail = find(await alice.ask("NOTICE bob :lost"), "FAIL")
    assert fail.params[:3] == ("NOTICE", "TEMPORARILY_UNAVAILABLE", "bob")


async def test_typing_notifications_are_rate_limited(harness: Harness) -> None:
    # https://ircv3.net/specs/client-tags/typing: one notification per 3 s and
    # target; the excess is dropped silently; a done may end typing at once.
    clock = [100.0]
    harness.server.now = lambda: clock[0]  # type: ignore[method-assign]
    alice = await harness.user("alice", caps=("message-tags",))
    bob = await harness.user("bob", caps=("message-tags",))
    await join("#t", alice, bob)

    def typing() -> list[str]:
        return [line.tags["+typing"] for line in bob.lines() if line.command == "TAGMSG"]

    for _ in range(5):
        assert await alice.ask("@+typing=active TAGMSG #t") == []
    assert typing() == ["active"]
    await alice.ask("@+typing=active TAGMSG bob")  # another target, its own rate
    assert typing() == ["active"]
    await alice.ask("@+typing=paused TAGMSG #t")
    await alice.ask("@+typing=done TAGMSG #t")
    await alice.ask("@+typing=done TAGMSG #t")
    assert typing() == ["done"]
    clock[0] += 3.0
    await alice.ask("@+typing=bogus TAGMSG #t")
    await alice.ask("@+typing=active TAGMSG #t")
    assert typing() == ["active"]
    # Other client tags on a dropped notification still go out, without +typing.
    await alice.ask("@+typing=active;+draft/reply=m1;+draft/react=x TAGMSG #t")
    tagmsg = find(bob.lines(), "TAGMSG")
    assert "+typing" not in tagmsg.tags and tagmsg.tags["+draft/react"] == "x"


# --- replies and reactions (https://ircv3.net/specs/client-tags/react, .../reply) ----------------

REACT_CAPS = ("message-tags", "batch", "server-time", "draft/chathistory", "draft/event-playback")


async def test_reactions_and_replies_are_kept_and_replayed(harness: Harness) -> None:
    alice = await harness.user("alice", caps=(*REACT_CAPS, "echo-message"))
    bob = await harness.user("bob", caps=REACT_CAPS)
    await join("#r", alice, bob)
    msgid = find(await alice.ask("PRIVMSG #r :hello"), "PRIVMSG").tags["msgid"]
    await bob.ask(f"@+draft/reply={msgid} PRIVMSG #r :hi back")
    await bob.ask(f"@+draft/reply={msgid};+draft/react=👍;+typing=done TAGMSG #r")
    await bob.ask(f"@+draft/reply={msgid};+draft/unreact=👍 TAGMSG #r")
    relayed = [line for line in alice.lines() if line.command == "TAGMSG"]
    assert [line.tags.get("+draft/react") for line in relayed] == ["👍", None]
    await alice.ask("@+typing=active TAGMSG #r")  # not kept: typing is not history
    replayed = await bob.ask("CHATHISTORY LATEST #r * 10")
    kept = [line for line in replayed if line.command in ("PRIVMSG", "TAGMSG")]
    kept = [line for line in kept if "batch" in line.tags]
    assert [line.command for line in kept] == ["PRIVMSG", "PRIVMSG", "TAGMSG", "TAGMSG"]
    assert kept[1].tags["+draft/reply"] == msgid
    assert kept[2].tags["+draft/react"] == "👍" and kept[2].tags["+draft/reply"] == msgid
    assert "+typing" not in kept[2].tags  # a typing notification is not history
    assert kept[3].tags["+draft/unreact"] == "👍"
    # A client without event-playback gets the messages only (chathistory spec).
    plain = await harness.user("carol", caps=("message-tags", "batch", "draft/chathistory"))
    await join("#r", plain)
    again = await plain.ask("CHATHISTORY LATEST #r * 10")
    assert [line.command for line in again if line.command in ("PRIVMSG", "TAGMSG")] == [
        "PRIVMSG",
        "PRIVMSG",
    ]


async def test_reactions_beyond_the_bound_are_refused(harness: Harness) -> None:
    alice = await harness.user("alice", caps=("message-tags",))
    bob = await harness.user("bob", caps=("message-tags",))
    await join("#r", alice, bob)
    for i in range(12):
        assert await alice.ask(f"@+draft/reply=m1;+draft/react=e{i} TAGMSG #r") == []
    assert len(bob.lines()) == 12
    fail = find(await alice.ask("@+draft/reply=m1;+draft/react=more TAGMSG #r"), "FAIL")
    assert fail.params[:3] == ("TAGMSG", "INVALID_REACTION", "#r")
    assert bob.lines() == []
    fail = find(await alice.ask("@+draft/react=nowhere TAGMSG #r"), "FAIL")
    assert fail.params[1] == "INVALID_REACTION"
    assert bob.lines() == []


# -- one loop turn of a busy channel (the shared segment of server/outgoing.py) ----------
# FakeClient.send feeds the core at once and the server writes at the end of the loop
# turn, so sends without an await between them happen in one turn, as a burst does.


async def _quiet_room(*nicks: str, caps: tuple[str, ...] = ()) -> tuple[Harness, list[FakeClient]]:
    """A harness without history (messages relay at once) and ``nicks`` in #c."""
    made = Harness(history=False)
    clients = [await made.user(nick, caps=caps) for nick in nicks]
    await join("#c", *clients)
    return made, clients


def _texts(client: FakeClient) -> list[str]:
    return [f"{line.command} {' '.join(line.params)}" for line in client.lines()]


async def test_a_burst_reaches_each_member_in_order_without_its_own() -> None:
    made, (alice, bob, carol) = await _quiet_room("alice", "bob", "carol")
    alice.send("PRIVMSG #c :a1", "PRIVMSG #c :a2")
    bob.send("PRIVMSG #c :b1")
    alice.send("PRIVMSG #c :a3")
    await asyncio.sleep(0)
    assert _texts(carol) == ["PRIVMSG #c a1", "PRIVMSG #c a2", "PRIVMSG #c b1", "PRIVMSG #c a3"]
    assert _texts(alice) == ["PRIVMSG #c b1"]
    assert _texts(bob) == ["PRIVMSG #c a1", "PRIVMSG #c a2", "PRIVMSG #c a3"]
    await made.close()


async def test_other_output_in_the_same_turn_keeps_its_place() -> None:
    made, (alice, bob, carol) = await _quiet_room("alice", "bob", "carol")
    await join("#d", bob, carol)
    alice.send("PRIVMSG #c :one")
    alice.send("PRIVMSG bob :private")  # to bob only, between two channel messages
    carol.send("PRIVMSG #d :elsewhere")  # another channel bob is in
    alice.send("PRIVMSG #c :two")
    bob.send("PING :x")  # a reply to bob himself
    alice.send("PRIVMSG #c :three")
    await asyncio.sleep(0)
    assert _texts(bob) == [
        "PRIVMSG #c one",
        "PRIVMSG bob private",
        "PRIVMSG #d elsewhere",
        "PRIVMSG #c two",
        f"PONG {made.server.config.name} x",
        "PRIVMSG #c three",
    ]
    assert _texts(carol) == ["PRIVMSG #c one", "PRIVMSG #c two", "PRIVMSG #c three"]
    await made.close()


async def test_joining_and_parting_in_a_burst_see_exactly_their_share() -> None:
    made, (alice, bob, carol) = await _quiet_room("alice", "bob", "carol")
    dave = await made.user("dave")
    alice.send("PRIVMSG #c :before")
    dave.send("JOIN #c")
    bob.send("PART #c")
    alice.send("PRIVMSG #c :after")
    await asyncio.sleep(0)
    got_dave = [t for t in _texts(dave) if t.startswith(("PRIVMSG", "PART"))]
    assert got_dave == ["PART #c", "PRIVMSG #c after"]  # not what was said before he came
    assert _texts(bob) == ["PRIVMSG #c before", "JOIN #c", "PART #c"]  # nothing after he left
    assert _texts(carol) == ["PRIVMSG #c before", "JOIN #c", "PART #c", "PRIVMSG #c after"]
    await made.close()


async def test_tags_follow_the_caps_in_force_when_each_message_was_relayed() -> None:
    made, (alice, bob) = await _quiet_room("alice", "bob")
    alice.send("PRIVMSG #c :plain")
    bob.send("CAP REQ :server-time")
    alice.send("PRIVMSG #c :stamped")
    await asyncio.sleep(0)
    got = [line for line in bob.lines() if line.command == "PRIVMSG"]
    assert [(line.params[1], "time" in line.tags) for line in got] == [
        ("plain", False),
        ("stamped", True),
    ]
    await made.close()


async def test_a_burst_queues_once_per_member_not_once_per_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The per-member work of a channel burst is per loop turn (issue 20): 20 messages
    from 4 senders to 50 members queue 50 things, not 20 x 49 lines, yet all arrive."""
    made, clients = await _quiet_room(*(f"u{i}" for i in range(50)))

    queued = 0

    def counted(name: str) -> None:
        original = getattr(Session, name, None)
        if original is None:
            return

        def count(self: Session, item: object) -> None:
            nonlocal queued
            queued += 1
            original(self, item)

        monkeypatch.setattr(Session, name, count)

    counted("send_bytes")
    counted("queue_segment")
    for k in range(5):
        for sender in clients[:4]:
            sender.send(f"PRIVMSG #c :{sender.session.nick} {k}")
    await asyncio.sleep(0)
    assert queued == 50
    writes = [len([t for t in _texts(c) if t.startswith("PRIVMSG")]) for c in clients]
    assert writes == [15] * 4 + [20] * 46
    await made.close()


async def test_a_member_removed_silently_gets_nothing_relayed_after() -> None:
    """Membership, not only the lines announcing it, decides who gets the rest of a
    burst: part_channel (which QUIT and KICK build on) closes the shared segment."""
    made, (alice, bob, carol) = await _quiet_room("alice", "bob", "carol")
    channel = made.server.find_channel("#c")
    assert channel is not None
    alice.send("PRIVMSG #c :one")
    made.server.part_channel(bob.session, channel)
    alice.send("PRIVMSG #c :two")
    await asyncio.sleep(0)
    assert _texts(bob) == ["PRIVMSG #c one"]
    assert _texts(carol) == ["PRIVMSG #c one", "PRIVMSG #c two"]
    await made.close()


async def test_a_quiet_channel_keeps_no_segment_once_its_members_have_it() -> None:
    """What a burst queued is freed once written, even if nobody speaks again."""
    made, (alice, bob) = await _quiet_room("alice", "bob")
    channel = made.server.find_channel("#c")
    assert channel is not None
    alice.send("PRIVMSG #c :hello")
    assert channel.segment is not None and channel.segment() is not None  # still queued
    await asyncio.sleep(0)
    assert _texts(bob) == ["PRIVMSG #c hello"]
    assert channel.segment() is None
    await made.close()
