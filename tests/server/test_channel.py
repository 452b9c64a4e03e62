"""Channel state and the rules that read it, without any network."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatroom.protocol.masks import mask_matches
from chatroom.server.channel import Channel, ListEntry


@dataclass(eq=False)
class FakeSession:
    nick: str
    address: str
    user: str = "~u"
    invited: set[Channel] = field(default_factory=set)
    account: str | None = None

    @property
    def identity(self) -> tuple[str, str, str, str | None]:
        return (self.nick, self.user, self.address, self.account)

    @property
    def source(self) -> str:
        return f"{self.nick}!{self.user}@{self.address}"

    def matches(self, mask: str) -> bool:
        return mask_matches(mask, self.source)


def member(nick: str, host: str = "10.0.0.1") -> Any:
    return FakeSession(nick, host)


def test_status_and_prefixes() -> None:
    channel = Channel("#c", "#c")
    a = member("a")
    channel.members[a] = ""
    assert channel.prefix(a, multi=True) == ""
    assert channel.set_status(a, "v", True)
    assert not channel.set_status(a, "v", True)
    assert channel.set_status(a, "o", True)
    assert channel.members[a] == "ov"
    assert channel.prefix(a, multi=False) == "@"
    assert channel.prefix(a, multi=True) == "@+"
    assert channel.set_status(a, "o", False) and channel.prefix(a, multi=True) == "+"


def test_bans_exceptions_and_speaking() -> None:
    channel = Channel("#c", "#c")
    a, b = member("a"), member("b")
    channel.members[a] = ""
    assert channel.can_speak(a) and not channel.can_speak(b)  # +n
    channel.lists["b"] += (ListEntry("*!*@10.0.0.*", "op", 0),)
    assert channel.is_banned(a) and not channel.can_speak(a)
    channel.lists["e"] += (ListEntry("a!*@*", "op", 0),)
    assert not channel.is_banned(a) and channel.can_speak(a)
    channel.modes.add("m")
    assert not channel.can_speak(a)
    channel.set_status(a, "v", True)
    assert channel.can_speak(a)


def test_mode_string_hides_key_from_outsiders() -> None:
    channel = Channel("#c", "#c")
    channel.key = "pw"
    channel.limit = 5
    assert channel.mode_string(show_key=True) == ("+ntkl", "pw", "5")
    assert channel.mode_string(show_key=False) == ("+ntkl", "*", "5")


def test_invites() -> None:
    channel = Channel("#c", "#c")
    a = member("a")
    assert not channel.is_invited(a)
    a.invited.add(channel)
    assert channel.is_invited(a)
    b = member("b")
    channel.lists["I"] += (ListEntry("b!*@*", "op", 0),)
    assert channel.is_invited(b)
