"""The presenter: what the window shows for each event, and what each user
action asks of the core. A fake view and a fake core; no display."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from typing import Any

import pytest

from chatroom.client.events import (
    ActiveBufferChanged,
    BufferChanged,
    BufferClosed,
    BufferRenamed,
    CertificateChanged,
    Connected,
    ConnectFailed,
    Connecting,
    ConnectionLost,
    Event,
    ExitReason,
    HistoryLoaded,
    MessageAdded,
    MessageDeleted,
    NickRequired,
    OlderMessages,
    OwnNickChanged,
    Ready,
    Registered,
    Stopped,
    TypingChanged,
)
from chatroom.client.model import SERVER_BUFFER, BufferKind, Member, MessageKind
from chatroom.ui.tk.formatting import LOST
from chatroom.ui.tk.presenter import Presenter
from support.tk_fakes import FakeRunner, FakeView, message, view


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def parts() -> tuple[Presenter, FakeView, FakeRunner, Clock]:
    fake_view, runner, clock = FakeView(), FakeRunner(), Clock()
    presenter = Presenter(fake_view, runner, "127.0.0.1", 1060, clock=clock, tz=UTC)
    return presenter, fake_view, runner, clock


def in_lobby(presenter: Presenter, *extra: Event) -> None:
    """Registered as alice and looking at #lobby (with bob and carol)."""
    lobby = view("#lobby", 2, members=["@carol", "alice", "bob"], topic="Be kind", active=True)
    presenter.handle(
        [
            Connecting("127.0.0.1", 1060, 0),
            Connected("127.0.0.1", 1060),
            Registered("alice", False),
            BufferChanged(view(SERVER_BUFFER, 1, BufferKind.SERVER)),
            ActiveBufferChanged(lobby, ()),
            Ready(("#lobby",)),
            *extra,
        ]
    )


def test_before_connecting_the_window_says_what_it_is_doing(parts: Any) -> None:
    _presenter, fake_view, _runner, _clock = parts
    assert fake_view.status.text == "Trying to connect to 127.0.0.1:1060..."
    assert fake_view.title == "Chatroom"


def test_joining_shows_the_room_its_people_and_topic(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter)
    assert fake_view.title == "Chatroom — #lobby"
    assert fake_view.topic == ("#lobby", "Be kind")
    assert [m.label for m in fake_view.members] == ["@carol", "alice", "bob"]
    assert fake_view.members_heading == "3 people"
    assert fake_view.active == "#lobby"
    assert fake_view.status.text == "Connected to 127.0.0.1:1060 as alice"
    assert fake_view.status.state == "ok"
    assert any("All set!" in text for text in fake_view.texts)


def test_away_members_are_marked_in_the_members_list(parts: Any) -> None:
    # The core learns away states from WHOX and away-notify; the list greys them.
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter)
    lobby = view("#lobby", 2, members=["@carol", "alice"], topic="Be kind", active=True)
    away_bob = replace(lobby, members=(*lobby.members, Member("bob", account="bob", away=True)))
    presenter.handle([BufferChanged(away_bob)])
    rows = [(m.label, m.away) for m in fake_view.members]
    assert rows == [("@carol", False), ("alice", False), ("bob (away)", True)]


def test_messages_of_the_room_shown_appear_and_others_count_as_unread(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter)
    presenter.handle(
        [
            MessageAdded("#lobby", message("hello alice"), True),
            MessageAdded("#dev", message("elsewhere"), False),
            BufferChanged(view("#dev", 3, unread=1)),
        ]
    )
    assert fake_view.texts[-1] == "12:00 bob hello alice"
    assert not any("elsewhere" in text for text in fake_view.texts)
    assert fake_view.row("#dev").badge == "1"
    assert fake_view.title == "Chatroom — #lobby (1 unread)"


def test_switching_replaces_the_conversation_with_the_backlog(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter, MessageAdded("#lobby", message("lobby talk"), True))
    dev = view("#dev", 3, members=["bob"], topic="Code", active=True)
    presenter.handle(
        [
            BufferChanged(view("#lobby", 2, members=["bob"])),
            ActiveBufferChanged(dev, (message("earlier in dev"),)),
        ]
    )
    assert fake_view.texts == ["12:00 bob earlier in dev"]
    assert fake_view.topic == ("#dev", "Code")
    assert fake_view.title == "Chatroom — #dev"
    assert fake_view.active == "#dev"


def test_the_server_buffer_also_shows_the_connection_news(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter)
    server = view(SERVER_BUFFER, 1, BufferKind.SERVER, active=True)
    presenter.handle([ActiveBufferChanged(server, (message("MOTD line", sender=None),))])
    texts = "\n".join(fake_view.texts)
    assert "Successfully connected to 127.0.0.1:1060" in texts
    assert "MOTD line" in texts
    assert fake_view.title == "Chatroom"


def test_a_batch_is_drawn_once(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter)
    draws, line_draws = fake_view.buffer_draws, fake_view.line_draws
    batch: list[Event] = []
    for i in range(300):
        batch.append(MessageAdded("#lobby", message(f"flood {i}"), True))
        batch.append(BufferChanged(view("#dev", 3, unread=i + 1)))
    presenter.handle(batch)
    assert fake_view.buffer_draws == draws + 1
    assert fake_view.line_draws == line_draws + 1
    assert fake_view.texts[-1].endswith("flood 299")
    assert fake_view.row("#dev").badge == "99+"


def test_losing_the_connection_warns_and_counts_down(parts: Any) -> None:
    presenter, fake_view, _runner, clock = parts
    in_lobby(presenter)
    presenter.handle([ConnectionLost("the server closed the connection", 2.0)])
    assert fake_view.banner == LOST
    assert LOST in fake_view.bodies
    assert any("Reconnecting in 2 seconds" in text for text in fake_view.texts)
    assert fake_view.status.text == "Reconnecting in 2 s…"
    clock.now += 1.2
    presenter.tick()
    assert fake_view.status.text == "Reconnecting in 1 s…"
    presenter.handle([Connecting("127.0.0.1", 1060, 1)])
    assert fake_view.status.text == "Reconnecting…"
    presenter.handle(
        [ConnectFailed("127.0.0.1", 1060, "connection refused", fatal=False, retry_in=4.0)]
    )
    assert fake_view.status.text == "Reconnecting in 4 s…"
    presenter.handle([Connected("127.0.0.1", 1060), Registered("alice", True)])
    assert fake_view.banner is None
    assert fake_view.status.state == "ok"
    assert "Reconnected. Welcome back, alice!" in fake_view.bodies
    presenter.handle([Ready(("#lobby",))])
    assert "Back in #lobby." in fake_view.bodies


def test_a_loss_without_reconnecting_says_disconnected(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter)
    presenter.handle([ConnectionLost("gone", None), Stopped(ExitReason.CONNECTION_LOST)])
    assert fake_view.status.text == "Disconnected"
    assert fake_view.status.state == "down"
    assert presenter.stopped is ExitReason.CONNECTION_LOST


def test_a_refused_first_connection_is_one_clear_line(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    presenter.handle(
        [
            Connecting("127.0.0.1", 1060, 0),
            ConnectFailed("127.0.0.1", 1060, "connection refused", fatal=True),
            Stopped(ExitReason.CONNECT_FAILED, "connection refused"),
        ]
    )
    expected = "Could not connect to 127.0.0.1:1060: connection refused"
    assert fake_view.status.text == expected
    assert expected in fake_view.bodies


def test_a_refused_name_asks_for_another(parts: Any) -> None:
    presenter, fake_view, runner, _clock = parts
    presenter.handle([NickRequired("The name alice is taken.")])
    assert fake_view.asked == ["The name alice is taken."]
    presenter.provide_nick("alice2")
    assert runner.nicks == ["alice2"]


def test_own_nick_change_updates_status_and_members(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter)
    presenter.handle([OwnNickChanged("alicia")])
    assert fake_view.status.text == "Connected to 127.0.0.1:1060 as alicia"
    assert presenter.nick == "alicia"


def test_a_renamed_private_chat_replaces_its_old_row(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter, BufferChanged(view("bob", 3)))
    presenter.handle([BufferRenamed("bob", "robert"), BufferChanged(view("robert", 3))])
    assert [row.key for row in fake_view.rows] == [SERVER_BUFFER, "#lobby", "robert"]


def test_a_private_chats_person_is_marked_online_or_offline(parts: Any) -> None:
    """MONITOR's answer reaches the list: a dot before the name, the row muted
    while the person is away from the network, no mark while not known."""
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter, BufferChanged(view("bob", 3)), BufferChanged(view("carol", 4)))
    assert fake_view.row("bob").label == "bob"
    presenter.handle(
        [
            BufferChanged(view("bob", 3, online=True)),
            BufferChanged(view("carol", 4, online=False)),
            MessageAdded("bob", message("bob is online", None, MessageKind.INFO), False),
        ]
    )
    bob, carol = fake_view.row("bob"), fake_view.row("carol")
    assert (bob.label, bob.tags) == ("● bob", ("online",))
    assert (carol.label, carol.tags) == ("○ carol", ("offline",))
    assert fake_view.row("#lobby").tags == ()


def test_a_renamed_active_private_chat_stays_shown(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter, ActiveBufferChanged(view("bob", 3, active=True), ()))
    presenter.handle([BufferRenamed("bob", "robert")])
    assert presenter.active == "robert" and fake_view.topic[0] == "robert"


def test_closing_a_buffer_renumbers_the_rest(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter, BufferChanged(view("#dev", 3)), BufferChanged(view("carol", 4)))
    presenter.handle([BufferClosed("#dev"), BufferChanged(view("dave", 4))])
    assert [row.key for row in fake_view.rows] == [SERVER_BUFFER, "#lobby", "carol", "dave"]


def test_sending_submits_a_paste_whole_and_remembers_the_input(parts: Any) -> None:
    presenter, _fake_view, runner, _clock = parts
    assert presenter.send("   \n") is False
    assert presenter.send("hello") is True
    assert presenter.send("first line\n\nsecond line\n") is True  # one (multiline) message
    assert presenter.send("/join #a\n/join #b") is True  # commands: each on its own
    assert runner.submitted == ["hello", "first line\n\nsecond line", "/join #a", "/join #b"]
    assert presenter.history_previous("draft") == "/join #a\n/join #b"
    assert presenter.history_previous("") == "first line\n\nsecond line"
    assert presenter.history_previous("") == "hello"
    assert presenter.history_next() == "first line\n\nsecond line"
    assert presenter.history_next() == "/join #a\n/join #b"
    assert presenter.history_next() == "draft"


def test_selecting_and_alt_number_switch_buffers(parts: Any) -> None:
    presenter, _fake_view, runner, _clock = parts
    in_lobby(presenter)
    presenter.select("#lobby")  # already shown: nothing to do
    presenter.select("#dev")
    presenter.switch_number(3)
    assert runner.switched == ["#dev", "3"]


def test_join_adds_the_hash_and_rejects_bad_names(parts: Any) -> None:
    presenter, _fake_view, runner, _clock = parts
    assert presenter.join("dev") is None
    assert presenter.join("#design") is None
    assert runner.submitted == ["/join #dev", "/join #design"]
    assert presenter.join("") is not None
    assert presenter.join("two words") is not None
    assert presenter.join("a,b") is not None


def test_closing_a_buffer_and_quitting_go_to_the_core(parts: Any) -> None:
    presenter, _fake_view, runner, _clock = parts
    presenter.close_buffer("#dev")
    presenter.quit()
    assert runner.submitted == ["/close #dev"]
    assert runner.quits == 1


def test_double_clicking_a_person_opens_a_private_chat(parts: Any) -> None:
    presenter, _fake_view, runner, _clock = parts
    in_lobby(presenter)
    presenter.open_private("alice")  # yourself: nothing
    presenter.open_private("bob")
    assert runner.opened == ["bob"]


def test_history_on_join_redraws_the_room_muted(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    in_lobby(presenter, MessageAdded("#lobby", message("You have joined #lobby", None), True))
    old = message("from before", history=True)
    joined = message("You have joined #lobby", None)
    presenter.handle([HistoryLoaded("#lobby", (old,), (old, joined), True)])
    assert fake_view.bodies[-2:] == ["from before", "You have joined #lobby"]
    assert "history" in fake_view.lines[-2][0][1]
    presenter.handle([HistoryLoaded("#dev", (old,), (old,), False)])  # elsewhere: not drawn
    assert fake_view.bodies[-1] == "You have joined #lobby"


def test_a_deleted_message_is_redrawn_as_deleted(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    said = message("oops")
    in_lobby(presenter, MessageAdded("#lobby", said, True))
    gone = replace(said, text="message deleted", deleted=True)
    presenter.handle([MessageDeleted("#lobby", gone, (gone,), True)])
    assert fake_view.bodies[-1] == "message deleted"


def test_scrolling_to_the_top_pages_back_until_the_start(parts: Any) -> None:
    presenter, fake_view, runner, _clock = parts
    in_lobby(presenter, MessageAdded("#lobby", message("now"), True))
    presenter.load_older()
    presenter.load_older()  # one request at a time
    assert runner.older == [("#lobby", 100)]
    older = message("older", history=True)
    presenter.handle([OlderMessages("#lobby", (older,), False)])
    assert fake_view.bodies[0] == "older" and fake_view.bodies[-1] == "now"
    assert fake_view.prepends == 1
    presenter.load_older()
    presenter.handle([OlderMessages("#lobby", (), True)])
    assert fake_view.bodies[0] == "Start of the conversation's history"
    presenter.load_older()  # the start was reached: nothing more to ask
    assert len(runner.older) == 2


def test_the_server_buffer_has_no_history_to_load(parts: Any) -> None:
    presenter, _fake_view, runner, _clock = parts
    presenter.handle([ActiveBufferChanged(view(SERVER_BUFFER, 1, BufferKind.SERVER), ())])
    presenter.load_older()
    assert runner.older == []


def test_passwords_are_not_kept_in_the_input_history(parts: Any) -> None:
    presenter, _fake_view, runner, _clock = parts
    presenter.send("/login secret words")
    assert runner.submitted == ["/login secret words"]
    assert presenter.history_previous("") is None


def test_tab_completes_people_of_the_room_shown(parts: Any) -> None:
    presenter, _fake_view, _runner, _clock = parts
    in_lobby(presenter)
    assert presenter.complete("ca", 2) == ("carol: ", 7)
    assert presenter.complete("al", 2) is None  # never yourself
    assert presenter.complete("/jo", 3) == ("/join ", 6)


def test_a_changed_certificate_is_refused_loudly(parts: Any) -> None:
    presenter, fake_view, _runner, _clock = parts
    presenter.handle(
        [
            Connecting("127.0.0.1", 6697, 0),
            CertificateChanged("127.0.0.1", 6697, "AA:AA", "BB:BB", "/home/a/known.json"),
            Stopped(ExitReason.CERTIFICATE, "the server's certificate has changed"),
        ]
    )
    assert fake_view.banner is not None and "has changed" in fake_view.banner
    shown = "\n".join(fake_view.bodies)
    assert "AA:AA" in shown and "BB:BB" in shown and "/home/a/known.json" in shown
    assert fake_view.status.state == "down"


def test_who_is_typing_shows_in_the_status_bar_for_the_buffer_shown(parts: Any) -> None:
    presenter, fake_view, _, _ = parts
    in_lobby(presenter)
    assert fake_view.typing == ""
    presenter.handle([TypingChanged("#lobby", ("bob",))])
    assert fake_view.typing == "bob is typing…"
    presenter.handle([TypingChanged("carol", ("carol",))])  # another buffer
    assert fake_view.typing == "bob is typing…"
    presenter.handle([ActiveBufferChanged(view("carol", 3, BufferKind.PRIVATE, active=True), ())])
    assert fake_view.typing == "carol is typing…"
    presenter.handle([TypingChanged("Carol", ())])
    assert fake_view.typing == ""


def test_the_input_line_goes_to_the_core_when_it_changes(parts: Any) -> None:
    presenter, _, runner, _ = parts
    in_lobby(presenter)
    for text in ("h", "hi", "hi", "hi", ""):  # arrows and shift change nothing
        presenter.input_changed(text)
    assert runner.inputs == ["h", "hi", ""]


def texts_of(fake_view: FakeView) -> list[str]:
    return ["".join(text for text, _tags in line) for line in fake_view.lines]


def test_coming_to_a_room_shows_a_new_messages_line_and_reports_it_read(parts: Any) -> None:
    presenter, fake_view, runner, _clock = parts
    in_lobby(presenter)
    runner.read.clear()
    dev = view("#dev", 3, active=True)
    backlog = (message("old"), message("new one"), message("new two"))
    presenter.handle([ActiveBufferChanged(dev, backlog, 1)])
    shown = texts_of(fake_view)
    assert [i for i, text in enumerate(shown) if "new messages" in text] == [1]
    assert "new one" in shown[2]
    assert runner.read == [None]  # focused: the room shown is read


def test_messages_arriving_while_unfocused_are_read_on_focus(parts: Any) -> None:
    presenter, _fake_view, runner, _clock = parts
    in_lobby(presenter)
    presenter.focus_changed(False)
    runner.read.clear()
    presenter.handle([MessageAdded("#lobby", message("while away"), True)])
    assert runner.read == []
    presenter.focus_changed(True)
    assert runner.read == [None]
    presenter.handle([MessageAdded("#lobby", message("seen", own=True), True)])
    assert runner.read == [None]  # our own line needs no MARKREAD
