"""``/search`` in the client core, line by line (no network): soju.im/search."""

from __future__ import annotations

from chatroom.client.commands import SearchHistory, parse_input
from chatroom.client.search import SearchResults
from support.client_protocol import Harness

CAPS = "server-time batch message-tags soju.im/search"


def search_harness(caps: str = CAPS) -> Harness:
    h = Harness()
    h.feed(f":srv CAP * LS :{caps}", f":srv CAP * ACK :{caps}")
    h.register()
    return h.join()


def notes(h: Harness) -> list[str]:
    lobby = h.client.model.get("#lobby")
    assert lobby is not None
    return [m.text for m in lobby.messages]


def test_the_cap_is_requested() -> None:
    h = Harness()
    h.feed(f":srv CAP * LS :{CAPS}")
    assert any("soju.im/search" in text for text in h.conn.texts())


def test_search_sends_the_words_as_one_escaped_attribute() -> None:
    h = search_harness()
    h.client.submit("/search fast cars; now")
    assert h.conn.texts()[-1] == r"SEARCH text=fast\scars\:\snow;limit=20"
    assert parse_input("/search   ") != SearchHistory("")


def test_results_are_listed_oldest_first_with_where_and_who() -> None:
    h = search_harness()
    h.client.submit("/search fast")
    h.feed(
        ":srv BATCH +s1 soju.im/search",
        "@batch=s1;time=2026-01-01T10:00:01.000Z;msgid=a :bob!~b@h PRIVMSG #lobby :fast one",
        "@batch=s1;time=2026-01-02T11:30:00.000Z;msgid=b :carol!~c@h PRIVMSG alice :fast dm",
        ":srv BATCH -s1",
    )
    assert notes(h)[-3:] == [
        "2 message(s) found, oldest first:",
        "2026-01-01 10:00  #lobby  <bob> fast one",
        "2026-01-02 11:30  carol  <carol> fast dm",
    ]
    lobby = h.client.model.get("#lobby")
    assert lobby is not None and "fast one" not in [m.text for m in lobby.messages if m.sender]


def test_an_empty_batch_says_nothing_was_found() -> None:
    h = search_harness()
    h.client.submit("/search zzz")
    h.feed(":srv BATCH +s1 soju.im/search", ":srv BATCH -s1")
    assert notes(h)[-1] == "No messages found."


def test_without_the_cap_the_user_is_told() -> None:
    h = search_harness("server-time batch")
    h.client.submit("/search fast")
    assert not any(text.startswith("SEARCH") for text in h.conn.texts())
    assert notes(h)[-1] == "This server does not offer search."


def test_a_quiet_search_in_one_room_ends_with_the_results_event_only() -> None:
    h = search_harness()
    before = notes(h)
    h.client.perform(SearchHistory("fast", room="#lobby", quiet=True))
    assert h.conn.texts()[-1] == "SEARCH in=#lobby;text=fast;limit=20"
    h.feed(
        ":srv BATCH +s1 soju.im/search",
        "@batch=s1;time=2026-01-02T11:30:00.000Z;msgid=b :carol!~c@h PRIVMSG alice :fast dm",
        ":srv BATCH -s1",
    )
    assert notes(h) == before  # nothing said in the conversation
    [results] = h.of(SearchResults)
    assert isinstance(results, SearchResults) and results.text == "fast"
    [hit] = results.hits
    assert (hit.where, hit.sender, hit.text, hit.msgid) == ("carol", "carol", "fast dm", "b")
    assert hit.time.isoformat() == "2026-01-02T11:30:00+00:00"


def test_a_search_without_the_cap_ends_with_no_results() -> None:
    h = search_harness("server-time batch")
    h.client.perform(SearchHistory("x", quiet=True))
    [results] = h.of(SearchResults)
    assert isinstance(results, SearchResults) and results.hits == ()
