"""Tab completion in the input box: which word, which suffix, cycling."""

from __future__ import annotations

from chatroom.ui.tk.tabcomplete import TabCompleter

NICKS = ["bob", "bobby", "carol"]


def candidates(word: str, first: bool) -> list[str]:
    if first and word.startswith("/"):
        return [c for c in ["/join", "/me"] if c.startswith(word)]
    if word.startswith("#"):
        return [r for r in ["#dev", "#design"] if r.startswith(word)]
    return [n for n in NICKS if n.startswith(word.lower())]


def test_a_nick_at_the_start_gets_a_colon() -> None:
    assert TabCompleter(candidates).complete("ca", 2) == ("carol: ", 7)


def test_a_nick_later_in_the_line_gets_a_space() -> None:
    assert TabCompleter(candidates).complete("hi ca", 5) == ("hi carol ", 9)


def test_commands_and_rooms_get_a_space() -> None:
    assert TabCompleter(candidates).complete("/jo", 3) == ("/join ", 6)
    assert TabCompleter(candidates).complete("see #dev", 8) == ("see #dev ", 9)


def test_tab_again_cycles_through_the_candidates() -> None:
    completer = TabCompleter(candidates)
    first = completer.complete("bo", 2)
    assert first == ("bob: ", 5)
    second = completer.complete(*first)
    assert second == ("bobby: ", 7)
    assert completer.complete(*second) == ("bob: ", 5)


def test_text_after_the_cursor_is_kept() -> None:
    completer = TabCompleter(candidates)
    assert completer.complete("hi ca how are you", 5) == ("hi carol how are you", 9)


def test_an_edit_between_tabs_starts_afresh() -> None:
    completer = TabCompleter(candidates)
    assert completer.complete("bo", 2) == ("bob: ", 5)
    # The user typed on: the next Tab completes the new word, it does not cycle.
    assert completer.complete("bob: ca", 7) == ("bob: carol ", 11)


def test_nothing_to_complete() -> None:
    completer = TabCompleter(candidates)
    assert completer.complete("", 0) is None
    assert completer.complete("hi ", 3) is None
    assert completer.complete("zz", 2) is None
