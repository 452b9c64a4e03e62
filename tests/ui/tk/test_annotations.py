"""What goes around a message line, without a display: quotes, who may delete,
which links get a thumbnail, and the bounded index of messages and reactions."""

from __future__ import annotations

from datetime import UTC, datetime

from chatroom.client.events import ActiveBufferChanged, MessageAdded, ReactionsChanged
from chatroom.client.model import Message, MessageKind, Reaction
from chatroom.ui.tk.annotations import (
    MessageIndex,
    delete_allowed,
    file_links,
    quote_line,
    quote_text,
    shorten,
    thumbnail_url,
)
from chatroom.ui.tk.formatting import message_line
from support.tk_fakes import view

WHEN = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def msg(msgid: str, text: str = "hi", sender: str = "bob", **extra: object) -> Message:
    return Message(WHEN, MessageKind.MESSAGE, sender, text, msgid=msgid, **extra)  # type: ignore[arg-type]


def test_quotes_are_the_first_line_shortened() -> None:
    assert shorten("short") == "short"
    assert shorten("first\nsecond") == "first …"
    long = shorten("word " * 40)
    assert len(long) == 70 and long.endswith("…")
    assert quote_text(msg("a", "hello there")) == "↪ bob: hello there"
    assert quote_text(msg("a", "x", deleted=True)) == "↪ bob: message deleted"
    assert quote_text(None) == "↪ a message not loaded here"
    [(text, tags)] = quote_line(msg("a"), msg("b", reply_to="a", history=True))
    assert text == "\t\t↪ bob: hi\n" and {"quote", "q:b", "history"} <= set(tags)


def test_message_lines_carry_their_msgid() -> None:
    tags = {tag for _, seg_tags in message_line(msg("abc")) for tag in seg_tags}
    assert "m:abc" in tags
    assert not any(t.startswith("m:") for _, ts in message_line(msg("")) for t in ts)


def test_delete_is_offered_for_own_messages_and_to_operators() -> None:
    room = view("#lobby", 2, members=("@alice", "bob"))
    plain = view("#dev", 3, members=("alice", "bob"))
    assert delete_allowed(msg("a", sender="alice", own=True), plain, "alice")
    assert not delete_allowed(msg("a"), plain, "alice")
    assert delete_allowed(msg("a"), room, "Alice")  # an operator, names fold
    assert not delete_allowed(msg("a", deleted=True), room, "alice")
    assert not delete_allowed(msg(""), room, "alice")  # no msgid: nothing to name


def test_only_the_chat_servers_files_get_thumbnails() -> None:
    name = "A" * 22
    text = (
        f"see http://127.0.0.1:8080/files/{name} and https://evil.example/files/{name} "
        f"and http://127.0.0.1:8080/files/{name}x"
    )
    assert file_links(text, "127.0.0.1") == [f"http://127.0.0.1:8080/files/{name}"]
    assert thumbnail_url("http://h/files/x") == "http://h/files/x/thumb"


def test_the_index_remembers_what_was_drawn_and_forgets_the_oldest() -> None:
    index = MessageIndex(keep=2)
    lobby = view("#lobby", 2)
    assert index.observe(ActiveBufferChanged(lobby, (msg("a"), msg("b")))) == (msg("a"), msg("b"))
    assert index.observe(MessageAdded("#dev", msg("c"), active=False)) == ()
    assert index.get("c") == msg("c") and index.get("a") is None  # kept two
    index.observe(ReactionsChanged("#lobby", "c", (Reaction("👍", ("bob",)),)))
    assert index.reactions["c"][0].count == 1
    index.observe(ReactionsChanged("#lobby", "c", ()))
    assert "c" not in index.reactions
