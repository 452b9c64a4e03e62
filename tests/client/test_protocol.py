"""The sans-I/O client protocol: lines in, events and lines out, and the
registration phase table. No sockets, no event loop (except where the server
core, which is asyncio, is on the other end)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from chatroom.client.config import ClientConfig
from chatroom.client.events import (
    BufferChanged,
    Event,
    MessageAdded,
    NickRequired,
    NickTaken,
    Ready,
    Registered,
)
from chatroom.client.handlers import HANDLERS, REPLY_HANDLERS, Entry, handle
from chatroom.client.protocol import ClientProtocol
from chatroom.client.state import TRANSITIONS, Phase, Trigger
from chatroom.errors import LocalProtocolError
from chatroom.protocol import Line, parse
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from support.client_protocol import Harness
from support.fakes import FakeTransport, settle


def texts(protocol: ClientProtocol) -> list[str]:
    return [line.format() for line in protocol.lines_to_send()]


def welcome(protocol: ClientProtocol, nick: str = "alice") -> None:
    for text in (
        f":srv 001 {nick} :Welcome to the Test Network, {nick}!~{nick}@127.0.0.1",
        f":srv 376 {nick} :End of /MOTD command.",
    ):
        protocol.receive_line(parse(text))


# -- the phase table ---------------------------------------------------------------


def test_every_phase_goes_offline_when_the_connection_ends() -> None:
    for phase in Phase:
        assert TRANSITIONS[(phase, Trigger.DISCONNECT)] is Phase.OFFLINE


def test_a_trigger_out_of_place_changes_nothing() -> None:
    protocol = ClientProtocol(ClientConfig(nick="alice"))
    assert not protocol.advance(Trigger.WELCOME)  # no 001 without a connection
    assert not protocol.advance(Trigger.BURST_END)
    assert protocol.phase is Phase.OFFLINE and not protocol.connected


def test_registration_walks_the_phases_in_order() -> None:
    protocol = ClientProtocol(ClientConfig(nick="alice", password="pw"))
    protocol.connection_made()
    assert protocol.phase is Phase.REGISTERING
    assert texts(protocol) == ["CAP LS 302", "PASS pw", "NICK alice", "USER alice 0 * alice"]
    protocol.receive_line(parse(":srv 001 alice :Welcome alice!~alice@h"))
    assert protocol.phase is Phase.WELCOMED and protocol.registered
    protocol.receive_line(parse(":srv 376 alice :End of /MOTD command."))
    assert protocol.phase is Phase.CHATTING and texts(protocol) == ["JOIN #lobby"]
    assert protocol.events_received() == [Registered("alice", False)]
    protocol.receive_line(parse(":srv 376 alice :End of /MOTD command."))
    assert texts(protocol) == [] and protocol.events_received() == []  # once only


def test_without_a_nick_the_user_is_asked_and_the_answer_sends_nick_and_user() -> None:
    protocol = ClientProtocol(ClientConfig(nick=None))
    protocol.connection_made()
    assert protocol.phase is Phase.NEED_NICK and texts(protocol) == ["CAP LS 302"]
    assert protocol.events_received() == [NickRequired(None)]
    assert not protocol.provide_nick("9bad")
    assert isinstance(protocol.next_event(), NickRequired) and texts(protocol) == []
    assert protocol.provide_nick(" bob ")
    assert texts(protocol) == ["NICK bob", "USER bob 0 * bob"]
    assert protocol.phase is Phase.REGISTERING


def test_a_nick_refused_to_the_end_asks_the_user_and_the_answer_sends_nick_only() -> None:
    protocol = ClientProtocol(ClientConfig(nick="alice"))
    protocol.connection_made()
    protocol.lines_to_send()
    for _ in range(5):
        protocol.receive_line(parse(":srv 433 * alice :Nickname is already in use"))
    sent = texts(protocol)
    assert sent == ["NICK alice_", "NICK alice__", "NICK alice___", "NICK alice____"]
    events = protocol.events_received()
    assert next(e for e in events if isinstance(e, NickTaken)) == NickTaken("alice", "alice_")
    assert events[-1] == NickRequired("The name alice is taken.")
    assert protocol.phase is Phase.NEED_NEW_NICK and protocol.nick is None
    protocol.provide_nick("carol")
    assert texts(protocol) == ["NICK carol"] and protocol.phase is Phase.REGISTERING


def test_connection_made_twice_is_the_callers_mistake() -> None:
    protocol = ClientProtocol(ClientConfig(nick="alice"))
    protocol.connection_made()
    with pytest.raises(LocalProtocolError):
        protocol.connection_made()


def test_a_line_that_cannot_be_framed_is_refused_where_it_is_built() -> None:
    protocol = ClientProtocol(ClientConfig(nick="alice"))
    protocol.connection_made()
    with pytest.raises(LocalProtocolError):
        protocol.send(Line("PRIVMSG", ("#a b", "text")))


def test_offline_nothing_is_queued_and_a_nick_waits_for_the_next_connection() -> None:
    protocol = ClientProtocol(ClientConfig(nick=None))
    assert not protocol.send(Line("PING", ("x",)))
    assert protocol.provide_nick("dave") and texts(protocol) == []
    protocol.connection_made()
    assert texts(protocol) == ["CAP LS 302", "NICK dave", "USER dave 0 * dave"]


# -- the connection's life -----------------------------------------------------------


def test_losing_the_connection_reports_the_phase_and_rejoins_after_reconnecting() -> None:
    protocol = ClientProtocol(ClientConfig(nick="alice", rooms=("#lobby", "#dev")))
    protocol.connection_made()
    welcome(protocol)
    for text in (":alice!~a@h JOIN #lobby", ":srv 366 alice #lobby :End"):
        protocol.receive_line(parse(text))
    protocol.events_received()
    assert protocol.connection_lost() is Phase.CHATTING
    lobby = protocol.model.get("#lobby")
    assert lobby is not None and not lobby.joined
    assert any(isinstance(e, BufferChanged) for e in protocol.events_received())
    protocol.lines_to_send()
    protocol.connection_made()
    protocol.lines_to_send()
    welcome(protocol)
    assert texts(protocol) == ["JOIN #lobby"]  # only what was joined, not #dev
    assert Registered("alice", True) in protocol.events_received()


def test_a_connection_lost_while_waiting_for_a_nick_says_so() -> None:
    protocol = ClientProtocol(ClientConfig(nick=None))
    protocol.connection_made()
    assert protocol.connection_lost() is Phase.NEED_NICK
    assert protocol.phase is Phase.OFFLINE


def test_quitting_sends_quit_once() -> None:
    protocol = ClientProtocol(ClientConfig(nick="alice", quit_message="Bye"))
    protocol.connection_made()
    protocol.lines_to_send()
    protocol.submit("/quit")
    protocol.quit("again")
    assert protocol.quitting and texts(protocol) == ["QUIT :Bye"]


def test_keepalive_pings() -> None:
    protocol = ClientProtocol(ClientConfig(nick="alice"))
    protocol.connection_made()
    protocol.lines_to_send()
    protocol.keepalive()
    assert texts(protocol) == ["PING chatroom"]


def test_a_failing_handler_is_logged_and_the_next_line_is_read(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(client: object, line: Line) -> None:
        raise RuntimeError("bug")

    monkeypatch.setitem(HANDLERS, "PING", Entry(boom))
    protocol = ClientProtocol(ClientConfig(nick="alice"))
    protocol.connection_made()
    with caplog.at_level(logging.ERROR):
        protocol.receive_line(parse("PING :x"))
    assert "failed to handle" in caplog.text
    protocol.receive_line(parse(":srv 001 alice :Welcome"))
    assert protocol.registered


def test_events_come_out_in_order_one_at_a_time() -> None:
    h = Harness().register().join()
    h.client.events_received()
    h.feed(":bob!~b@h PRIVMSG #lobby :one", ":bob!~b@h PRIVMSG #lobby :two")
    first, second = h.client.next_event(), h.client.next_event()
    assert isinstance(first, MessageAdded) and first.message.text == "one"
    assert isinstance(second, MessageAdded) and second.message.text == "two"
    assert h.client.next_event() is None


# -- the table ------------------------------------------------------------------------

JUNK = ("#lobby", "alice", "x", "*", "+", "NICK_REGISTERED", "FAIL")


@pytest.mark.parametrize("command", [*sorted(HANDLERS), "999", "400", "BATCH"])
@pytest.mark.parametrize("registered", [False, True])
def test_any_parameters_are_read_or_ignored_never_a_traceback(
    command: str, registered: bool
) -> None:
    for count in range(len(JUNK) + 1):
        h = Harness().register().join() if registered else Harness()
        handle(h.client, Line(command, JUNK[:count], "bob!~b@h"))
        handle(h.client, Line(command, JUNK[:count][::-1], "srv"))


@pytest.mark.parametrize("about", sorted(REPLY_HANDLERS))
def test_any_standard_reply_is_read_or_ignored(about: str) -> None:
    h = Harness().register().join()
    for count in range(len(JUNK) + 1):
        for kind in ("FAIL", "WARN", "NOTE"):
            handle(h.client, Line(kind, (about, *JUNK[:count])))


def test_a_bare_nick_refusal_is_ignored() -> None:
    h = Harness()
    h.feed(":srv 433")
    assert h.client.nick == "alice" and h.conn.texts() == []


# -- against the server core, in memory ------------------------------------------------


class ConnectionPair:
    """Our client protocol linked to a session of the server core: whatever one
    sends, the other receives, until both are quiet."""

    def __init__(self, server: Server, nick: str, port: int) -> None:
        self.transport = FakeTransport()
        session = server.connect(self.transport, "127.0.0.1", port)
        assert session is not None
        self.session = session
        self.client = ClientProtocol(ClientConfig(nick=nick))
        self.events: list[Event] = []

    async def exchange(self) -> None:
        """Carry lines both ways until neither side has anything more to say."""
        while True:
            out = self.client.lines_to_send()
            if out:
                self.session.feed(b"".join(line.format().encode() + b"\r\n" for line in out))
            await settle()
            data, self.transport.data = self.transport.data, b""
            for text in data.decode().split("\r\n"):
                if text:
                    self.client.receive_line(parse(text))
            self.events.extend(self.client.events_received())
            if not out and not data:
                return


async def test_two_clients_register_join_and_talk_through_the_server_core() -> None:
    server = Server(Config(), asyncio.get_running_loop(), commands=COMMANDS)
    alice, bob = ConnectionPair(server, "alice", 1), ConnectionPair(server, "bob", 2)
    for pair in (alice, bob):
        pair.client.connection_made()
        await pair.exchange()
        assert pair.client.phase is Phase.CHATTING and Ready(("#lobby",)) in pair.events
        assert {"echo-message", "server-time"} <= pair.client.caps
    await alice.exchange()
    lobby = alice.client.model.get("#lobby")
    assert lobby is not None and set(lobby.members) == {"alice", "bob"}
    alice.client.submit("hello bob")
    await alice.exchange()
    await bob.exchange()
    said = [e for e in bob.events if isinstance(e, MessageAdded) and e.message.sender == "alice"]
    assert [e.message.text for e in said] == ["hello bob"]
    assert [m.text for m in lobby.messages if m.own] == ["hello bob"]  # echoed, once
    assert alice.client.unechoed == 0
    bob.client.submit("/nick robert")
    await bob.exchange()
    await alice.exchange()
    assert "robert" in lobby.members and alice.client.model.get("#lobby") is lobby


async def test_whox_after_joining_tells_accounts_and_away_states() -> None:
    # https://ircv3.net/specs/extensions/whox, against the server core.
    server = Server(Config(), asyncio.get_running_loop(), commands=COMMANDS)
    bob = ConnectionPair(server, "bob", 2)
    bob.client.connection_made()
    await bob.exchange()
    bob.session.feed(b"AWAY :lunch\r\n")
    bob.session.account = "bobby"  # as after SASL
    await bob.exchange()
    alice = ConnectionPair(server, "alice", 1)
    alice.client.connection_made()
    await alice.exchange()
    assert "WHOX" in alice.client.isupport
    lobby = alice.client.model.get("#lobby")
    assert lobby is not None
    assert (lobby.members["bob"].away, lobby.members["bob"].account) == (True, "bobby")
    assert (lobby.members["alice"].away, lobby.members["alice"].account) == (False, None)
    assert not alice.client.whox_pending
    assert not any("WHO" in m.text for m in alice.client.model.server.messages)
    bob.session.feed(b"AWAY\r\n")
    await alice.exchange()
    assert not lobby.members["bob"].away  # away-notify


async def test_a_private_chat_partner_is_shown_online_and_offline_through_monitor() -> None:
    server = Server(Config(default_room=""), asyncio.get_running_loop(), commands=COMMANDS)
    alice = ConnectionPair(server, "alice", 1)
    alice.client.connection_made()
    await alice.exchange()
    alice.client.open_private("bob")  # sends MONITOR + bob: bob is offline
    await alice.exchange()
    chat = alice.client.model.get("bob")
    assert chat is not None and chat.online is False
    bob = ConnectionPair(server, "bob", 2)
    bob.client.connection_made()
    await bob.exchange()
    await alice.exchange()
    assert chat.online is True
    assert [m.text for m in chat.messages][-2:] == ["bob is offline", "bob is online"]
    bob.client.quit()
    await bob.exchange()
    await alice.exchange()
    assert chat.online is False
