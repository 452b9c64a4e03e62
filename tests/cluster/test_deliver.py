"""Channel events from other processes, applied to a real core without sockets:
mirrors appear and go, state and statuses follow, KICK and INVITE reach local users."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from chatroom.cluster import deliver
from chatroom.protocol.line import Line
from chatroom.server.channel import Channel
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.mirror import snapshot
from chatroom.server.network import Existing
from chatroom.server.network.events import (
    ChannelLine,
    ChannelMessage,
    ChannelUpdate,
    Invite,
    Join,
    Kick,
    Leave,
    NickChange,
    PrivateMessage,
    Quit,
    UserState,
    UserUp,
)
from chatroom.server.network.state import ChannelState
from chatroom.server.server import Server
from chatroom.server.session import Session
from support.fakes import FakeNetwork, FakeTransport, settle


async def _server_with(*nicks: str) -> tuple[Server, FakeNetwork, dict[str, FakeTransport]]:
    server = Server(Config(default_room=""), asyncio.get_running_loop(), commands=COMMANDS)
    transports = {}
    for nick in nicks:
        transports[nick] = FakeTransport()
        session = server.connect(transports[nick], "10.0.0.7", 1000 + len(transports))
        assert session is not None
        session.feed(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
    network = FakeNetwork()
    server.network = network  # type: ignore[assignment]
    return server, network, transports


def _remote_join(
    server: Server,
    network: FakeNetwork,
    channel: str,
    nick: str,
    state: ChannelState | None = None,
) -> None:
    """``nick`` joins ``channel`` on process p2, which sends ``state`` along (by
    default a new channel's)."""
    if state is None:
        state = snapshot(Channel(channel, channel.lower()))
    line = Line("JOIN", (channel,), f"{nick}!u@h", {})
    event = Join(channel.lower(), nick, f"{nick}!u@h", "", "*", nick, line, state)
    deliver.apply(server, network.view, "p2", event)


def _session(server: Server, nick: str) -> Session:
    session = server.find_user(nick)
    assert session is not None
    return session


async def test_a_channel_with_members_elsewhere_is_mirrored_until_empty() -> None:
    server, network, _ = await _server_with()
    _remote_join(server, network, "#Far", "bob")
    mirror = server.find_channel("#far")
    assert mirror is not None and mirror.name == "#Far" and not mirror.members
    part = Line("PART", ("#Far",), "bob!u@h", {})
    deliver.apply(server, network.view, "p2", Leave("#far", "bob", part))
    assert server.find_channel("#far") is None
    _remote_join(server, network, "#Far", "carol")
    deliver.apply(server, network.view, "p2", Quit("carol", ("#far",), Line("QUIT", ("x",))))
    assert server.find_channel("#far") is None


async def test_a_channel_update_replaces_state_and_follows_statuses() -> None:
    server, network, transports = await _server_with("alice")
    _session(server, "alice").feed(b"JOIN #room\r\n")
    await settle()
    _remote_join(server, network, "#room", "bob")
    channel = server.find_channel("#room")
    assert channel is not None
    lists = (("b", (("x!*@*", "bob!u@h", 5),)), ("e", ()), ("I", ()))
    elsewhere = replace(snapshot(channel), modes="imnt", key="sesame", lists=lists)
    line = Line("MODE", ("#room", "+ikb-o+o", "sesame", "x!*@*", "alice", "bob"), "bob!u@h", {})
    update = ChannelUpdate("#room", elsewhere, (("alice", ""), ("bob", "o")), line)
    deliver.apply(server, network.view, "p2", update)
    assert channel.modes == {"i", "m", "n", "t"} and channel.key == "sesame"
    assert [e.mask for e in channel.lists["b"]] == ["x!*@*"]
    assert channel.members[_session(server, "alice")] == ""
    assert network.view.members["#room"] == {"bob": "o"}
    await asyncio.sleep(0)
    assert b"MODE #room +ikb-o+o sesame x!*@* alice bob" in transports["alice"].data


async def test_a_kick_from_elsewhere_takes_the_local_user_out() -> None:
    server, network, transports = await _server_with("alice", "carol")
    for nick in ("alice", "carol"):
        _session(server, nick).feed(b"JOIN #room\r\n")
        await settle()
    _remote_join(server, network, "#room", "bob")
    kick = Line("KICK", ("#room", "alice", "out"), "bob!u@h", {})
    deliver.apply(server, network.view, "p2", Leave("#room", "alice", kick))
    channel = server.find_channel("#room")
    assert channel is not None and _session(server, "alice") not in channel.members
    assert channel not in _session(server, "alice").channels
    await asyncio.sleep(0)
    for nick in ("alice", "carol"):  # the kicked user sees it too
        assert transports[nick].data.count(b"KICK #room alice :out\r\n") == 1


async def test_an_invite_from_elsewhere_is_remembered_and_shown() -> None:
    server, network, transports = await _server_with("alice", "oscar")
    oscar = _session(server, "oscar")
    oscar.set_caps({*oscar.caps, "invite-notify"})
    oscar.feed(b"JOIN #room\r\n")  # operator: the first member
    await settle()
    _remote_join(server, network, "#room", "bob")
    channel = server.find_channel("#room")
    assert channel is not None
    line = Line("INVITE", ("alice", "#room"), "bob!u@h", {})
    deliver.apply(server, network.view, "p2", Invite("#room", "alice", line))
    assert channel in _session(server, "alice").invited
    await asyncio.sleep(0)
    assert b"INVITE alice #room" in transports["alice"].data
    assert b"INVITE alice #room" in transports["oscar"].data


async def test_a_channel_new_to_the_network_is_created_in_redis_first() -> None:
    server, network, transports = await _server_with("alice")
    _session(server, "alice").feed(b"JOIN #new\r\n")
    await settle()
    assert network.created == ["#new"]
    channel = server.find_channel("#new")
    assert channel is not None and channel.is_op(_session(server, "alice"))
    assert b"353 alice = #new @alice" in transports["alice"].data


async def test_a_creation_lost_joins_the_channel_that_exists_with_its_checks() -> None:
    server, network, transports = await _server_with("alice", "bea")
    winner = Channel("#new", "#new")
    winner.modes = {"i", "n", "t"}
    network.winner = Existing(snapshot(winner))
    _session(server, "alice").feed(b"JOIN #new\r\n")
    await settle()
    assert b" 473 alice #new " in transports["alice"].data  # the winner's +i holds
    winner.modes = {"n", "t"}
    network.winner = Existing(snapshot(winner))
    _session(server, "bea").feed(b"JOIN #new\r\n")
    await settle()
    channel = server.find_channel("#new")
    assert channel is not None and channel.members[_session(server, "bea")] == ""
    assert b" MODE #new" not in transports["bea"].data  # never operator, not even for a moment
    network.winner = Existing(None)  # Redis holds no state, or an unreadable one
    server.registry.remove_channel(server.channels["#new"])
    _session(server, "alice").feed(b"JOIN #new\r\n")
    await settle()
    assert b" 437 alice #new " in transports["alice"].data
    assert server.find_channel("#new") is None


async def test_a_join_from_elsewhere_brings_the_channel_state_along() -> None:
    server, network, _ = await _server_with()
    far = Channel("#far", "#far")
    far.modes = {"i", "n", "t"}
    far.key = "sesame"
    _remote_join(server, network, "#far", "bob", snapshot(far))
    mirror = server.find_channel("#far")
    assert mirror is not None and mirror.key == "sesame" and "i" in mirror.modes


async def test_no_mirror_with_default_modes_is_made_without_a_state() -> None:
    """A Join without a state (from an older process; a bad one is refused with the
    event, see test_events.py) and a status-only update make no mirror."""
    server, network, transports = await _server_with("mallory")
    line = Line("JOIN", ("#far",), "bob!u@h", {})
    join = Join("#far", "bob", "bob!u@h", "", "*", "bob", line)
    deliver.apply(server, network.view, "p2", join)
    deliver.apply(server, network.view, "p2", ChannelUpdate("#far", None, (("bob", "o"),)))
    assert server.find_channel("#far") is None
    # Bob is there: a JOIN here without the channel's state is refused for now.
    _session(server, "mallory").feed(b"JOIN #far\r\n")
    await settle()
    await asyncio.sleep(0)
    assert b" 437 mallory #far :" in transports["mallory"].data
    assert server.find_channel("#far") is None


async def test_a_status_change_from_elsewhere_publishes_no_state() -> None:
    server, network, _ = await _server_with("alice")
    _session(server, "alice").account = "alice"
    _session(server, "alice").feed(b"JOIN #reg\r\n")
    await settle()
    _remote_join(server, network, "#reg", "bob")
    channel = server.find_channel("#reg")
    assert channel is not None
    registered = replace(
        snapshot(channel), founder="bob", op_accounts=("alice", "bob"), permanent=True
    )
    line = Line("MODE", ("#reg", "+o", "alice"), "bob!u@h", {})
    before = len(network.published)
    update = ChannelUpdate("#reg", registered, (("alice", "o"),), line)
    deliver.apply(server, network.view, "p2", update)
    assert channel.op_accounts == {"bob", "alice"}
    assert len(network.published) == before  # the MODE's process recorded the account


async def test_a_kick_sent_here_is_applied_and_published_only_if_still_there() -> None:
    server, network, transports = await _server_with("alice", "carol")
    for nick in ("alice", "carol"):
        _session(server, nick).feed(b"JOIN #room\r\n")
        await settle()
    _remote_join(server, network, "#room", "bob")
    stale = Line("KICK", ("#room", "alicia", "out"), "bob!u@h", {})
    deliver.apply(server, network.view, "p2", Kick("#room", "alicia", stale))
    assert not [e for e in network.published if isinstance(e, Leave)]  # renamed: nobody
    kick = Line("KICK", ("#room", "alice", "out"), "bob!u@h", {})
    deliver.apply(server, network.view, "p2", Kick("#room", "alice", kick))
    channel = server.find_channel("#room")
    assert channel is not None and _session(server, "alice") not in channel.members
    assert [e for e in network.published if isinstance(e, Leave)] == [Leave("#room", "alice", kick)]
    await asyncio.sleep(0)
    for nick in ("alice", "carol"):
        assert transports[nick].data.count(b"KICK #room alice :out\r\n") == 1


async def test_a_join_refused_for_too_many_channels_creates_nothing_in_redis() -> None:
    server, network, transports = await _server_with("alice")
    server.config = replace(server.config, max_channels=1)
    _session(server, "alice").feed(b"JOIN #one,#two\r\n")
    await settle()
    assert network.created == ["#one"]  # #two was refused before asking Redis
    assert b" 405 alice #two " in transports["alice"].data


# -- users of other processes: UserUp, UserState, WHOWAS, the Join fallback ----------


def _remote_up(server: Server, network: FakeNetwork, nick: str, process: str = "p2") -> None:
    up = UserUp(nick, f"{nick}!~{nick}@h", f"{nick} real", None, None, "", 1700000000, False)
    deliver.apply(server, network.view, process, up)


async def test_a_user_state_from_the_owner_is_applied_and_notified() -> None:
    server, network, transports = await _server_with("alice", "carol")
    _session(server, "alice").set_caps({"away-notify"})
    for nick in ("alice", "carol"):
        _session(server, nick).feed(b"JOIN #room\r\n")
        await settle()
    _remote_up(server, network, "bob")
    _remote_join(server, network, "#room", "bob")
    away = Line("AWAY", ("lunch",), "bob!~bob@h", {})
    deliver.apply(server, network.view, "p2", UserState("bob", "Bob", "bob", "lunch", "io", away))
    user = network.view.users["bob"]
    assert (user.realname, user.account, user.away, user.modes) == ("Bob", "bob", "lunch", "io")
    assert network.view.mode_counts["i"] == 1 and network.view.mode_counts["o"] == 1
    await asyncio.sleep(0)
    assert b"bob!~bob@h AWAY lunch\r\n" in transports["alice"].data
    assert b"bob!~bob@h AWAY" not in transports["carol"].data  # no away-notify


async def test_a_user_state_from_another_process_than_the_owner_is_ignored() -> None:
    """A late state of a user that quit on p3 must not land on the new owner of the nick."""
    server, network, _ = await _server_with()
    _remote_up(server, network, "bob", "p2")
    late = UserState("bob", "Old Bob", "olduser", None, "o")
    deliver.apply(server, network.view, "p3", late)
    user = network.view.users["bob"]
    assert (user.realname, user.account, user.modes) == ("bob real", None, "")
    assert network.view.mode_counts["o"] == 0
    deliver.apply(server, network.view, "p3", UserState("nobody", "", None, None, "i"))
    assert "nobody" not in network.view.users


async def test_nicks_that_leave_elsewhere_are_in_whowas() -> None:
    server, network, _ = await _server_with()
    _remote_up(server, network, "bob")
    _remote_up(server, network, "dan")
    nick = NickChange("bob", "Rob", "Rob!~bob@h", (), Line("NICK", ("Rob",), "bob!~bob@h", {}))
    deliver.apply(server, network.view, "p2", nick)
    deliver.apply(server, network.view, "p2", Quit("dan", (), Line("QUIT", ("bye",), "dan", {})))
    remembered = [(e.nick, e.user, e.host, e.realname) for e in server.registry.whowas]
    assert remembered == [("dan", "~dan", "h", "dan real"), ("bob", "~bob", "h", "bob real")]
    assert "rob" in network.view.users and "bob" not in network.view.users


async def test_a_join_of_a_user_not_yet_known_makes_it_known() -> None:
    """A Join may come before (or without) the UserUp, after a Redis restart."""
    server, network, _ = await _server_with()
    line = Line("JOIN", ("#Room",), "Eve!~eve@h", {})
    deliver.apply(
        server, network.view, "p2", Join("#room", "eve", "Eve!~eve@h", "", "eve", "Eve R", line)
    )
    user = network.view.users["eve"]
    assert (user.nick, user.process, user.account, user.realname) == ("Eve", "p2", "eve", "Eve R")
    deliver.apply(
        server, network.view, "p2", Join("#room", "zed", "Zed!~z@h", "", "*", "Zed", line)
    )
    assert network.view.users["zed"].account is None  # '*': not logged in


async def test_an_away_user_joining_elsewhere_is_followed_by_its_away() -> None:
    # away-notify: an away user's JOIN is followed by its AWAY, wherever it joined.
    server, network, transports = await _server_with("alice", "carol")
    _session(server, "alice").set_caps({"away-notify"})
    for nick in ("alice", "carol"):
        _session(server, nick).feed(b"JOIN #room\r\n")
        await settle()
    up = UserUp("bob", "bob!u@h", "Bob", None, "at lunch", "", 1700000000, False)
    deliver.apply(server, network.view, "p2", up)
    _remote_join(server, network, "#room", "bob")
    await asyncio.sleep(0)
    seen = transports["alice"].data
    assert seen.index(b"bob!u@h JOIN #room\r\n") < seen.index(b"bob!u@h AWAY :at lunch\r\n")
    assert b"bob!u@h AWAY" not in transports["carol"].data  # no away-notify


# -- what local users are shown: messages, TOPIC, JOIN, a replayed PART ---------------


async def test_messages_from_elsewhere_reach_only_whom_they_are_meant_for() -> None:
    server, network, transports = await _server_with("alice", "carol")
    _session(server, "alice").set_caps({"message-tags"})
    for nick in ("alice", "carol"):  # alice first: the channel's operator
        _session(server, nick).feed(b"JOIN #room\r\n")
        await settle()
    _remote_join(server, network, "#room", "bob")
    await asyncio.sleep(0)
    before = {nick: len(transport.data) for nick, transport in transports.items()}
    say = Line("PRIVMSG", ("@#room", "ops only"), "bob!u@h", {})
    deliver.apply(server, network.view, "p2", ChannelMessage("#room", say, "@"))
    tag = Line("TAGMSG", ("#room",), "bob!u@h", {"+typing": "active"})
    deliver.apply(server, network.view, "p2", ChannelMessage("#room", tag, "", True))
    dm = Line("PRIVMSG", ("carol", "psst"), "bob!u@h", {})
    deliver.apply(server, network.view, "p2", PrivateMessage("carol", dm))
    deliver.apply(server, network.view, "p2", PrivateMessage("nobody", dm))
    deliver.apply(server, network.view, "p2", ChannelMessage("#nowhere", say))
    await asyncio.sleep(0)
    seen = {nick: transport.data[before[nick] :] for nick, transport in transports.items()}
    assert (
        seen["alice"]
        == b":bob!u@h PRIVMSG @#room :ops only\r\n@+typing=active :bob!u@h TAGMSG #room\r\n"
    )
    assert seen["carol"] == b":bob!u@h PRIVMSG carol :psst\r\n"  # text: always trailing


async def test_a_topic_from_elsewhere_changes_the_mirror_and_is_shown() -> None:
    server, network, transports = await _server_with("alice")
    _session(server, "alice").feed(b"JOIN #room\r\n")
    await settle()
    topic = Line("TOPIC", ("#room", "new topic"), "bob!u@h", {})
    deliver.apply(server, network.view, "p2", ChannelLine("#room", topic))
    deliver.apply(server, network.view, "p2", ChannelLine("#nowhere", topic))
    channel = server.find_channel("#room")
    assert channel is not None
    assert (channel.topic, channel.topic_setter) == ("new topic", "bob!u@h")
    await asyncio.sleep(0)
    assert transports["alice"].data.count(b":bob!u@h TOPIC #room :new topic\r\n") == 1


async def test_a_join_from_elsewhere_is_shown_once_extended_to_who_asked() -> None:
    server, network, transports = await _server_with("alice", "carol")
    _session(server, "alice").set_caps({"extended-join"})
    for nick in ("alice", "carol"):
        _session(server, nick).feed(b"JOIN #room\r\n")
        await settle()
    _remote_join(server, network, "#room", "bob")
    _remote_join(server, network, "#room", "bob")  # re-announced: already known
    await asyncio.sleep(0)
    assert transports["alice"].data.count(b":bob!u@h JOIN #room * bob\r\n") == 1
    assert transports["carol"].data.count(b":bob!u@h JOIN #room\r\n") == 1
    assert b"JOIN #room *" not in transports["carol"].data


async def test_a_departure_from_a_process_that_does_not_hold_the_nick_is_ignored() -> None:
    """A PART, QUIT or NICK replayed after a split by a process the nick has left."""
    server, network, transports = await _server_with("alice")
    _session(server, "alice").feed(b"JOIN #room\r\n")
    await settle()
    _remote_up(server, network, "bob", "p2")
    _remote_join(server, network, "#room", "bob")
    part = Line("PART", ("#room",), "bob!u@h", {})
    deliver.apply(server, network.view, "p3", Leave("#room", "bob", part))
    deliver.apply(server, network.view, "p3", Quit("bob", ("#room",), Line("QUIT", ("x",))))
    nick = Line("NICK", ("Rob",), "bob!u@h", {})
    deliver.apply(server, network.view, "p3", NickChange("bob", "Rob", "Rob!u@h", (), nick))
    assert network.view.members["#room"] == {"bob": ""}
    assert "bob" in network.view.users and "rob" not in network.view.users
    await asyncio.sleep(0)
    assert transports["alice"].data.endswith(b":bob!u@h JOIN #room\r\n")  # nothing after
