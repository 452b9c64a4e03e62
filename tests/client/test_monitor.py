"""MONITOR for private chats in the client core: what is sent, and how 730/731
turn into the chat's online state and a line in it (chatroom.client.monitor)."""

from __future__ import annotations

from chatroom.client.config import ClientConfig
from chatroom.client.events import BufferChanged, MessageAdded
from chatroom.client.model import BufferKind
from chatroom.client.protocol import ClientProtocol
from chatroom.protocol import parse


def _registered(isupport: str = "MONITOR=100", *private: str) -> ClientProtocol:
    protocol = ClientProtocol(ClientConfig(nick="alice", rooms=()))
    for name in private:
        protocol.open_buffer(name, BufferKind.PRIVATE)
    protocol.connection_made()
    for text in (
        ":srv 001 alice :Welcome alice!~alice@127.0.0.1",
        f":srv 005 alice {isupport} :are supported by this server",
        ":srv 376 alice :End of /MOTD command.",
    ):
        protocol.receive_line(parse(text))
    return protocol


def _sent(protocol: ClientProtocol, command: str = "MONITOR") -> list[str]:
    return [line.format() for line in protocol.lines_to_send() if line.command == command]


def test_private_chats_are_monitored_once_registered() -> None:
    protocol = _registered("MONITOR=100", "bob", "carol")
    assert _sent(protocol) == ["MONITOR + bob,carol"]


def test_without_monitor_in_isupport_nothing_is_sent() -> None:
    protocol = _registered("NICKLEN=30", "bob")
    assert _sent(protocol) == []
    protocol.open_private("dave")
    assert _sent(protocol) == []


def test_opening_and_closing_a_private_chat_adds_and_removes_it() -> None:
    protocol = _registered()
    protocol.lines_to_send()
    protocol.open_private("Dave")
    assert _sent(protocol) == ["MONITOR + Dave"]
    protocol.open_private("dave")  # open already: not again
    assert _sent(protocol) == []
    protocol.submit("/close dave")
    assert _sent(protocol) == ["MONITOR - Dave"]
    protocol.submit("/join #room")
    protocol.submit("/close #room")
    assert _sent(protocol) == []


def test_the_limit_is_kept_and_long_lists_are_split() -> None:
    people = [f"person{i:02}" for i in range(60)]
    protocol = _registered("MONITOR=50", *people)
    sent = _sent(protocol)
    assert len(sent) > 1 and all(len(line) < 450 for line in sent)
    watched = [nick for line in sent for nick in line.split()[-1].split(",")]
    assert watched == people[:50]


def test_730_and_731_set_the_state_and_say_so_in_the_chat() -> None:
    protocol = _registered("MONITOR=100", "bob", "carol")
    protocol.events_received()
    protocol.receive_line(parse(":srv 730 alice :bob!~bob@10.0.0.2"))
    protocol.receive_line(parse(":srv 731 alice :carol,stranger"))
    bob, carol = protocol.model.get("bob"), protocol.model.get("carol")
    assert bob is not None and bob.online is True
    assert carol is not None and carol.online is False
    events = protocol.events_received()
    lines = [(e.buffer, e.message.text) for e in events if isinstance(e, MessageAdded)]
    assert lines == [("bob", "bob is online"), ("carol", "carol is offline")]
    views = [e.buffer for e in events if isinstance(e, BufferChanged)]
    assert [(v.name, v.online) for v in views] == [("bob", True), ("carol", False)]
    # The same state again (MONITOR S, a reconnection) adds nothing.
    protocol.receive_line(parse(":srv 730 alice :bob!~bob@10.0.0.2"))
    assert protocol.events_received() == []
    protocol.receive_line(parse(":srv 731 alice :BOB"))
    assert [e.message.text for e in protocol.events_received() if isinstance(e, MessageAdded)] == [
        "bob is offline"
    ]


def test_a_partner_renaming_is_followed() -> None:
    protocol = _registered("MONITOR=100", "bob")
    protocol.receive_line(parse(":alice!~alice@h JOIN #c"))
    protocol.receive_line(parse(":bob!~bob@h JOIN #c"))
    protocol.lines_to_send()
    protocol.receive_line(parse(":bob!~bob@h NICK robert"))
    assert _sent(protocol) == ["MONITOR - bob", "MONITOR + robert"]


def test_reconnecting_monitors_the_list_again() -> None:
    protocol = _registered("MONITOR=100", "bob")
    protocol.lines_to_send()
    protocol.connection_lost()
    protocol.connection_made()
    for text in (
        ":srv 001 alice :Welcome",
        ":srv 005 alice MONITOR=100 :are supported",
        ":srv 376 alice :End",
    ):
        protocol.receive_line(parse(text))
    assert _sent(protocol) == ["MONITOR + bob"]
