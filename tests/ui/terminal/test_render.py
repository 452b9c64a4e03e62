"""How the terminal client words and styles things (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime

from chatroom.client.events import (
    Connected,
    ConnectFailed,
    Connecting,
    ConnectionLost,
    ExitReason,
    NickTaken,
    Registered,
    Stopped,
)
from chatroom.client.model import BufferKind, BufferView, Member, Message, MessageKind, Reaction
from chatroom.ui.terminal.render import (
    clock,
    deleted_line,
    event_text,
    message_fragments,
    nick_colour,
    plain,
    reactions_fragments,
    reconnect_text,
    refusal_text,
    reply_fragments,
    switch_header,
    toolbar_fragments,
)

WHEN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def line(kind: MessageKind, text: str, sender: str | None = "bob", **flags: bool) -> str:
    return plain(message_fragments(Message(WHEN, kind, sender, text, **flags)))


def test_messages_read_naturally() -> None:
    hhmm = clock(WHEN)
    assert line(MessageKind.MESSAGE, "hi") == f"{hhmm} bob: hi"
    assert line(MessageKind.ACTION, "waves") == f"{hhmm} * bob waves"
    assert line(MessageKind.NOTICE, "note") == f"{hhmm} -bob- note"
    assert line(MessageKind.NOTICE, "hello", sender=None) == f"{hhmm} -server- hello"
    assert line(MessageKind.JOIN, "bob has joined #lobby. Say hi!") == (
        f"{hhmm} -- bob has joined #lobby. Say hi!"
    )
    assert line(MessageKind.ERROR, "oops", sender=None) == f"{hhmm} !! oops"


def test_where_prefix_for_other_buffers() -> None:
    message = Message(WHEN, MessageKind.MESSAGE, "bob", "psst")
    assert plain(message_fragments(message, where="bob")).endswith("[bob] bob: psst")


def test_mentions_are_styled() -> None:
    fragments = message_fragments(Message(WHEN, MessageKind.MESSAGE, "bob", "alice!", mention=True))
    assert ("class:mention", "alice!") in fragments


def test_nick_colour_is_stable_and_never_red() -> None:
    assert nick_colour("alice") == nick_colour("ALICE")
    assert all("red" not in nick_colour(n) for n in ("a", "b", "carol", "dave", "eve"))


def test_tutorial_sentences() -> None:
    assert event_text(Connecting("h", 1060, 0)) == "Trying to connect to h:1060..."
    assert event_text(Connected("h", 1060)) == "Successfully connected to h:1060"
    assert event_text(Registered("ann", False)) == (
        "Welcome, ann! Getting ready to send and receive messages..."
    )
    assert (
        event_text(ConnectionLost("gone", 1.0)) == "Oh no, we have lost connection to the server!"
    )
    assert event_text(ConnectFailed("h", 1, "connection refused", True)) == (
        "Could not connect to h:1: connection refused"
    )
    assert event_text(ConnectFailed("h", 1, "connection refused", False, 2.0)) == (
        "Could not connect to h:1: connection refused; trying again in 2 seconds"
    )
    assert event_text(NickTaken("ann", "ann_")) == "The name ann is taken; trying ann_ instead."


def test_reconnect_and_refusal_texts() -> None:
    assert reconnect_text(ConnectionLost("Server shutting down", 0.5)) == (
        "(Server shutting down) Reconnecting in 0.5 seconds..."
    )
    assert "Not reconnecting" in reconnect_text(ConnectionLost("", None))
    assert refusal_text(Stopped(ExitReason.REJECTED, "full")) == (
        "The server refused the connection: full"
    )
    assert refusal_text(Stopped(ExitReason.QUIT)) is None


def view(name: str, number: int, **changes: object) -> BufferView:
    values: dict[str, object] = dict(
        name=name,
        kind=BufferKind.CHANNEL,
        number=number,
        topic="",
        members=(),
        unread=0,
        mentioned=False,
        joined=True,
        active=False,
    )
    values.update(changes)
    return BufferView(**values)  # type: ignore[arg-type]


def test_toolbar_shows_numbers_unread_and_mentions() -> None:
    fragments = toolbar_fragments(
        [
            view("*server*", 1, kind=BufferKind.SERVER),
            view("#lobby", 2, active=True),
            view("#dev", 3, unread=4, mentioned=True),
        ],
        "alice",
        "disconnected",
    )
    text = plain(fragments)
    assert text.startswith("1:server 2:#lobby 3:#dev(4!)")
    assert "alice" in text and "disconnected" in text
    assert ("class:toolbar.active", "2:#lobby") in fragments
    assert ("class:toolbar.mention", "3:#dev(4!)") in fragments


def test_switch_header() -> None:
    room = view("#dev", 2, members=(Member("a"), Member("b")), topic="Ship it")
    assert plain(switch_header(room)) == "── #dev ── 2 people · Ship it"
    assert "not in this room" in plain(switch_header(view("#old", 3, joined=False)))
    assert plain(switch_header(view("bob", 4, kind=BufferKind.PRIVATE))) == (
        "── bob ── private chat"
    )


def test_a_private_chats_presence_is_marked() -> None:
    """MONITOR's answer: ● online, ○ offline, nothing while not known."""
    people = [
        view("bob", 2, kind=BufferKind.PRIVATE, online=True),
        view("carol", 3, kind=BufferKind.PRIVATE, online=False),
        view("dave", 4, kind=BufferKind.PRIVATE),
    ]
    assert plain(toolbar_fragments(people, "alice", "")).startswith("2:bob● 3:carol○ 4:dave ")
    assert plain(switch_header(people[0])) == "── bob ── private chat · online"
    assert plain(switch_header(people[1])) == "── carol ── private chat · offline"


def test_toolbar_shows_who_is_typing_in_the_active_buffer() -> None:
    views = [view("#lobby", 1, active=True)]
    assert "typing" not in plain(toolbar_fragments(views, "bob", ""))
    fragments = toolbar_fragments(views, "bob", "", ("alice",))
    assert ("class:toolbar.typing", " │ alice is typing…") in fragments
    assert "alice and carol are typing…" in plain(
        toolbar_fragments(views, "bob", "", ("alice", "carol"))
    )


def test_reply_and_reaction_lines_quote_the_message() -> None:
    lunch = Message(datetime(2026, 1, 1, tzinfo=UTC), MessageKind.MESSAGE, "alice", "x" * 50)
    assert plain(reply_fragments(lunch)) == "   ┌ alice: " + "x" * 39 + "…"
    assert plain(reply_fragments(None)) == "   ┌ an earlier message"
    shown = (Reaction("👍", ("bob", "me"), True), Reaction("🎉", ("bob",)))
    assert plain(reactions_fragments(None, shown)) == "   └ 👍* 2 🎉 1  (an earlier message)"
    assert "no reactions" in plain(reactions_fragments(lunch, ()))


def test_a_deleted_message_is_said_on_a_line_of_its_own() -> None:
    gone = Message(WHEN, MessageKind.MESSAGE, "bob", "message deleted", deleted=True)
    assert plain(deleted_line(gone)).endswith("-- bob's message deleted (12:00)")
