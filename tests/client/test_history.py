"""Input history: Up/Down browsing as every UI shares it."""

from __future__ import annotations

from chatroom.client.history import InputHistory


def test_up_and_down_walk_the_history_and_restore_the_draft() -> None:
    history = InputHistory()
    for text in ("one", "two", "three"):
        history.add(text)
    assert history.previous("draft") == "three"
    assert history.previous("three") == "two"
    assert history.previous("two") == "one"
    assert history.previous("one") is None
    assert history.next() == "two"
    assert history.next() == "three"
    assert history.next() == "draft"
    assert history.next() is None


def test_blank_lines_and_repeats_are_not_stored() -> None:
    history = InputHistory()
    history.add("hi")
    history.add("hi")
    history.add("   ")
    assert history.items == ("hi",)


def test_empty_history_has_nothing_before() -> None:
    assert InputHistory().previous("x") is None


def test_history_is_bounded() -> None:
    history = InputHistory(limit=3)
    for i in range(10):
        history.add(str(i))
    assert history.items == ("7", "8", "9")


def test_adding_stops_browsing() -> None:
    history = InputHistory()
    history.add("a")
    history.add("b")
    history.previous("")
    history.add("c")
    assert history.previous("") == "c"
