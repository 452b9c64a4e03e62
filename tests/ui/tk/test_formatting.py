"""What the window shows, as data: lines, rows, title, status (no display)."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from chatroom.client.model import SERVER_BUFFER, BufferKind, MessageKind
from chatroom.ui.tk.formatting import (
    LOST,
    NICK_COLOUR_COUNT,
    buffer_rows,
    clock,
    flatten,
    member_rows,
    members_heading,
    message_line,
    nick_colour_tag,
    reconnect_status,
    short_nick,
    title_text,
    topic_texts,
)
from support.tk_fakes import WHEN, message, view


def text_of(segments: list[tuple[str, tuple[str, ...]]]) -> str:
    return "".join(text for text, _ in segments)


def tags_of(segments: list[tuple[str, tuple[str, ...]]], text: str) -> tuple[str, ...]:
    return next(tags for t, tags in segments if t == text)


def test_the_tutorial_sentence_is_kept_word_for_word() -> None:
    assert LOST == "Oh no, we have lost connection to the server!"


def test_a_message_is_time_nick_and_text_in_three_columns() -> None:
    line = message_line(message("hello there"), UTC)
    assert text_of(line) == "12:00\tbob\thello there\n"
    assert "nick" in tags_of(line, "bob")
    assert nick_colour_tag("bob") in tags_of(line, "bob")
    assert "body" in tags_of(line, "hello there")
    assert all("line" in tags for _, tags in line)


def test_the_time_is_shown_in_the_given_zone() -> None:
    assert clock(WHEN, timezone(timedelta(hours=2))) == "14:00"


def test_own_messages_and_mentions_are_marked_on_the_whole_line() -> None:
    own = message_line(message("mine", sender="alice", own=True), UTC)
    assert all("own" in tags for _, tags in own)
    mention = message_line(message("alice: hi", mention=True), UTC)
    assert all("mention" in tags for _, tags in mention)
    # Naming yourself is not a mention.
    both = message_line(message("I am alice", sender="alice", own=True, mention=True), UTC)
    assert not any("mention" in tags for _, tags in both)


def test_actions_notices_and_room_events_have_their_own_looks() -> None:
    action = message_line(message("waves", kind=MessageKind.ACTION), UTC)
    assert text_of(action) == "12:00\t*\tbob waves\n"
    assert "action" in tags_of(action, "bob waves")
    notice = message_line(message("server restarts soon", kind=MessageKind.NOTICE), UTC)
    assert "-bob-" in text_of(notice)
    assert "notice" in tags_of(notice, "server restarts soon")
    join = message_line(
        message("carol has joined #lobby. Say hi!", sender="carol", kind=MessageKind.JOIN), UTC
    )
    assert text_of(join) == "12:00\t→\tcarol has joined #lobby. Say hi!\n"
    assert "event" in tags_of(join, "carol has joined #lobby. Say hi!")
    error = message_line(message("No such room", sender=None, kind=MessageKind.ERROR), UTC)
    assert "error" in tags_of(error, "No such room")


def test_unicode_and_emoji_pass_through_unchanged() -> None:
    line = message_line(message("Grüße 👋 — 你好"), UTC)
    assert "Grüße 👋 — 你好" in text_of(line)


def test_nick_colours_are_stable_case_blind_and_in_range() -> None:
    assert nick_colour_tag("Alice") == nick_colour_tag("alice")
    assert nick_colour_tag("alice") == nick_colour_tag("alice")
    tags = {nick_colour_tag(f"user{i}") for i in range(200)}
    assert tags <= {f"nick{i}" for i in range(NICK_COLOUR_COUNT)}
    assert len(tags) == NICK_COLOUR_COUNT  # every colour gets used


def test_long_nicks_are_shortened_for_the_column() -> None:
    assert short_nick("alice") == "alice"
    long = "averyveryverylongnickname"
    assert short_nick(long).endswith("…")
    assert len(short_nick(long)) == 14


def test_flatten_gives_one_insert_argument_list() -> None:
    lines = [message_line(message("a"), UTC), message_line(message("b"), UTC)]
    flat = flatten(lines)
    assert len(flat) == 2 * sum(len(line) for line in lines)
    assert flat[0] == "12:00"
    assert isinstance(flat[1], tuple)


def test_title_names_the_room_and_counts_unread_elsewhere() -> None:
    lobby = view("#lobby", 2, active=True)
    views = [view(SERVER_BUFFER, 1, BufferKind.SERVER), lobby, view("#dev", 3, unread=4)]
    assert title_text(lobby, views) == "Chatroom — #lobby (4 unread)"
    assert title_text(lobby, [lobby]) == "Chatroom — #lobby"
    assert title_text(None, []) == "Chatroom"
    server = view(SERVER_BUFFER, 1, BufferKind.SERVER, active=True)
    assert title_text(server, [server]) == "Chatroom"


def test_rows_show_unread_badges_mentions_and_rooms_left() -> None:
    rows = buffer_rows(
        [
            view(SERVER_BUFFER, 1, BufferKind.SERVER),
            view("#lobby", 2, unread=3),
            view("#dev", 3, unread=150, mentioned=True),
            view("#old", 4, joined=False),
            view("bob", 5, unread=1, mentioned=True),
        ]
    )
    by_key = {row.key: row for row in rows}
    assert by_key[SERVER_BUFFER].label == "Server"
    assert by_key[SERVER_BUFFER].section == "server"
    assert (by_key["#lobby"].badge, by_key["#lobby"].tags) == ("3", ("unread",))
    assert by_key["#dev"].badge == "@ 99+"
    assert "mention" in by_key["#dev"].tags
    assert "left" in by_key["#old"].tags
    assert by_key["bob"].section == "people"


def test_members_mark_operators_and_yourself() -> None:
    room = view("#lobby", 2, members=["@carol", "alice", "bob"])
    rows = member_rows(room, "Alice")
    assert [(r.label, r.op, r.own) for r in rows] == [
        ("@carol", True, False),
        ("alice", False, True),
        ("bob", False, False),
    ]
    assert members_heading(room) == "3 people"
    assert members_heading(view("#x", 2, members=["bob"])) == "1 person"
    assert member_rows(view("bob", 3), "alice") == []


def test_topic_line_explains_each_kind_of_buffer() -> None:
    assert topic_texts(view("#lobby", 2, topic="Be kind")) == ("#lobby", "Be kind")
    assert "No topic yet" in topic_texts(view("#lobby", 2))[1]
    assert "Private chat with bob" in topic_texts(view("bob", 3))[1]
    assert "/join it again" in topic_texts(view("#old", 4, joined=False))[1]


def test_reconnect_status_counts_down_whole_seconds() -> None:
    assert reconnect_status(2.0).text == "Reconnecting in 2 s…"
    assert reconnect_status(0.3).text == "Reconnecting in 1 s…"
    assert reconnect_status(0).text == "Reconnecting…"
    assert reconnect_status(None).state == "busy"
