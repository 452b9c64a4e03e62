"""The registry: its maps keep their rules whatever the sequence of changes, and a
change against them is refused with an error that names it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chatroom.errors import LocalProtocolError
from chatroom.protocol.casemap import casefold
from chatroom.server.channel import Channel
from chatroom.server.registry import Registry
from chatroom.storage.accounts import BanRecord
from support.core import Harness, commands


@dataclass(eq=False)
class Member:
    """What the registry reads of a session: its nick, folded, registered, modes."""

    nick: str = "*"
    folded_nick: str = ""
    registered: bool = False
    modes: set[str] = field(default_factory=set)

    def named(self, nick: str) -> Member:
        self.nick, self.folded_nick = nick, casefold(nick)
        return self


def user(nick: str, *modes: str) -> Member:
    return Member(registered=True, modes=set(modes)).named(nick)


def ban(mask: str, reason: str = "x") -> BanRecord:
    return BanRecord(mask, reason, "op", datetime.now(UTC))


def test_a_user_is_in_once_under_its_folded_nick() -> None:
    registry = Registry()
    alice = user("Alice")
    registry.register(alice)  # type: ignore[arg-type]
    assert dict(registry.users) == {"alice": alice}
    with pytest.raises(LocalProtocolError, match="Alice is registered already"):
        registry.register(alice)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="ALICE is someone else's"):
        registry.register(user("ALICE"))  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="not registered"):
        registry.register(Member().named("bob"))  # type: ignore[arg-type]
    assert dict(registry.users) == {"alice": alice}


def test_the_views_cannot_be_written() -> None:
    registry = Registry()
    with pytest.raises(TypeError):
        registry.users["x"] = user("x")  # type: ignore[index]
    with pytest.raises(TypeError):
        registry.channels["#x"] = Channel("#x", "#x")  # type: ignore[index]


def test_a_rename_moves_the_entry() -> None:
    registry = Registry()
    alice, bob = user("alice"), user("bob")
    registry.register(alice)  # type: ignore[arg-type]
    registry.register(bob)  # type: ignore[arg-type]
    assert registry.rename(alice, "Ann") == "alice"  # type: ignore[arg-type]
    assert dict(registry.users) == {"ann": alice, "bob": bob} and alice.nick == "Ann"
    assert registry.rename(alice, "ANN") == "ann"  # type: ignore[arg-type]
    assert dict(registry.users) == {"ann": alice, "bob": bob} and alice.nick == "ANN"
    with pytest.raises(LocalProtocolError, match="the nick BOB is someone else's"):
        registry.rename(alice, "BOB")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="not a registered user"):
        registry.rename(user("carol"), "dave")  # type: ignore[arg-type]
    assert dict(registry.users) == {"ann": alice, "bob": bob} and alice.nick == "ANN"


def test_mode_counts_follow_registered_users() -> None:
    registry = Registry()
    alice = user("alice", "i")
    registry.register(alice)  # type: ignore[arg-type]
    alice.modes.add("o")
    registry.count_mode("o", True)
    assert (registry.mode_count("i"), registry.mode_count("o")) == (1, 1)
    assert registry.unregister(alice)  # type: ignore[arg-type]
    assert not registry.unregister(alice)  # type: ignore[arg-type]  # counted out once
    assert (registry.mode_count("i"), registry.mode_count("o")) == (0, 0)
    assert registry.max_users == 1 and registry.note_global(0) == 1
    assert registry.note_global(7) == 7 and registry.note_global(3) == 7


def test_whowas_is_bounded_newest_first() -> None:
    registry = Registry(whowas=2)
    for nick in ("a", "b", "c"):
        registry.remember(nick, "u", "h", "r")
    assert [e.nick for e in registry.whowas] == ["c", "b"]
    off = Registry(whowas=0)
    off.remember("a", "u", "h", "r")
    assert list(off.whowas) == []


def test_a_channel_is_in_once_under_its_folded_name() -> None:
    registry = Registry()
    room = registry.channel("#Room")
    assert registry.channel("#ROOM") is room and dict(registry.channels) == {"#room": room}
    with pytest.raises(LocalProtocolError, match="#ROOM exists already"):
        registry.add_channel(Channel("#ROOM", "#room"))
    with pytest.raises(LocalProtocolError, match="is not the folded"):
        registry.add_channel(Channel("#Other", "#Other"))
    stale = Channel("#room", "#room")
    assert not registry.remove_channel(stale)  # not the channel it holds: kept
    assert registry.remove_channel(room) and not registry.remove_channel(room)
    assert registry.add_channel(stale) is stale and registry.channels["#room"] is stale


def test_bans_are_unique_by_folded_mask() -> None:
    registry = Registry()
    registry.set_bans([ban("*!*@A"), ban("*!*@b"), ban("*!*@a", "again")])
    assert [(b.mask, b.reason) for b in registry.bans] == [("*!*@b", "x"), ("*!*@a", "again")]
    registry.add_ban(ban("*!*@B", "later"))
    assert [b.mask for b in registry.bans] == ["*!*@a", "*!*@B"]
    assert registry.remove_ban("*!*@b") and not registry.remove_ban("*!*@b")
    assert [b.mask for b in registry.bans] == ["*!*@a"]


NICKS = st.sampled_from(["alice", "Alice", "bob", "BOB", "carol", "d[a]ve", "D{A}VE"])


class RegistryRules(RuleBasedStateMachine):
    """Any sequence of the changes callers make keeps every rule of the registry;
    one the registry refuses changes nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.registry = Registry(whowas=3)
        self.members: list[Member] = []
        self.remembered = 0

    @rule(nick=NICKS, modes=st.sets(st.sampled_from("io")))
    def register(self, nick: str, modes: set[str]) -> None:
        member = user(nick, *modes)
        before = dict(self.registry.users)
        if casefold(nick) in before:
            with pytest.raises(LocalProtocolError):
                self.registry.register(member)  # type: ignore[arg-type]
            assert dict(self.registry.users) == before
        else:
            self.registry.register(member)  # type: ignore[arg-type]
            self.members.append(member)

    @precondition(lambda self: self.members)
    @rule(data=st.data(), nick=NICKS)
    def rename(self, data: st.DataObject, nick: str) -> None:
        member = data.draw(st.sampled_from(self.members))
        holder = self.registry.users.get(casefold(nick))
        if holder is not None and holder is not member:
            with pytest.raises(LocalProtocolError):
                self.registry.rename(member, nick)  # type: ignore[arg-type]
        else:
            self.registry.rename(member, nick)  # type: ignore[arg-type]
            assert member.nick == nick

    @precondition(lambda self: self.members)
    @rule(data=st.data(), mode=st.sampled_from("io"))
    def toggle_mode(self, data: st.DataObject, mode: str) -> None:
        member = data.draw(st.sampled_from(self.members))
        on = mode not in member.modes
        (member.modes.add if on else member.modes.discard)(mode)
        self.registry.count_mode(mode, on)

    @precondition(lambda self: self.members)
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        member = data.draw(st.sampled_from(self.members))
        self.members.remove(member)
        assert self.registry.unregister(member)  # type: ignore[arg-type]
        assert not self.registry.unregister(member)  # type: ignore[arg-type]
        self.registry.remember(member.nick, "u", "h", "r")
        self.remembered += 1

    @rule(name=st.sampled_from(["#a", "#A", "#b", "#c[", "#C{"]), fresh=st.booleans())
    def make_channel(self, name: str, fresh: bool) -> None:
        if not fresh:
            assert self.registry.channel(name).folded == casefold(name)
        elif casefold(name) in self.registry.channels:
            with pytest.raises(LocalProtocolError):
                self.registry.add_channel(Channel(name, casefold(name)))
        else:
            self.registry.add_channel(Channel(name, casefold(name)))

    @precondition(lambda self: self.registry.channels)
    @rule(data=st.data())
    def drop_channel(self, data: st.DataObject) -> None:
        channel = data.draw(st.sampled_from(sorted(self.registry.channels)))
        assert self.registry.remove_channel(self.registry.channels[channel])

    @rule(mask=st.sampled_from(["*!*@a", "*!*@A", "b!*@*", "B!*@*"]), add=st.booleans())
    def ban(self, mask: str, add: bool) -> None:
        if add:
            self.registry.add_ban(ban(mask))
        else:
            self.registry.remove_ban(mask)

    @invariant()
    def users_are_in_once_under_their_folded_nick(self) -> None:
        users = self.registry.users
        assert sorted(map(id, users.values())) == sorted(map(id, self.members))
        assert all(key == member.folded_nick for key, member in users.items())

    @invariant()
    def counters_agree(self) -> None:
        for mode in "io":
            assert self.registry.mode_count(mode) == sum(mode in m.modes for m in self.members)
        assert self.registry.max_users >= len(self.registry.users)

    @invariant()
    def channels_are_in_once_under_their_folded_name(self) -> None:
        channels = self.registry.channels
        assert all(key == casefold(c.name) == c.folded for key, c in channels.items())

    @invariant()
    def bans_and_whowas_stay_bounded(self) -> None:
        masks = [casefold(b.mask) for b in self.registry.bans]
        assert len(masks) == len(set(masks)) <= 2
        assert len(self.registry.whowas) == min(self.remembered, 3)


TestRegistryRules = RegistryRules.TestCase


async def test_the_core_keeps_the_registry_in_step() -> None:
    """Through the commands: a case-only NICK change keeps one entry, a KLINE given
    twice is one ban, and quitting users leave no count behind."""
    harness = Harness()
    try:
        root = await harness.oper("root")
        alice = await harness.user("alice")
        alice.send("NICK ALICE", "MODE ALICE +i")
        registry = harness.server.registry
        assert dict(registry.users) == {"root": root.session, "alice": alice.session}
        assert registry.mode_count("i") == 1 and registry.mode_count("o") == 1
        for reason in ("first", "second"):
            await root.expect(f"KLINE *!*@10.9.9.9 :{reason}", "NOTE")
        assert [(b.mask, b.reason) for b in registry.bans] == [("*!*@10.9.9.9", "second")]
        assert commands(await root.ask("UNKLINE *!*@10.9.9.9")) == ["NOTE"]
        assert registry.bans == ()
        alice.send("QUIT :bye")
        root.send("QUIT :bye")
        assert dict(registry.users) == {}
        assert registry.mode_count("i") == registry.mode_count("o") == 0
        assert [e.nick for e in registry.whowas] == ["root", "ALICE", "alice"]
    finally:
        await harness.close()
