"""History in the client core, line by line (no network): batches, labels,
de-duplication, paging back, and the fallbacks."""

from __future__ import annotations

import pytest

from chatroom.client.chathistory import AroundLoaded
from chatroom.client.events import (
    ActiveBufferChanged,
    BufferRenamed,
    HistoryLoaded,
    MessageAdded,
    OlderMessages,
)
from chatroom.client.model import BufferKind
from support.client_protocol import Harness

CAPS = "server-time echo-message batch draft/chathistory labeled-response"


def history_harness(caps: str = CAPS, **config: object) -> Harness:
    h = Harness(**config)
    h.feed(f":srv CAP * LS :{caps}", f":srv CAP * ACK :{caps}")
    h.register()
    h.feed(":srv 005 alice CHATHISTORY=100 :are supported")
    return h


def privmsg(n: int, text: str, who: str = "bob", target: str = "#lobby", batch: str = "b1") -> str:
    return (
        f"@batch={batch};time=2026-01-01T10:00:{n:02d}.000Z;msgid=m{n} "
        f":{who}!~{who}@h PRIVMSG {target} :{text}"
    )


def test_joining_asks_for_latest_history_with_a_label() -> None:
    h = history_harness().join()
    assert h.conn.texts()[-1] == "@label=h1 CHATHISTORY LATEST #lobby * 50"


def test_history_is_inserted_before_the_join_line_and_flagged() -> None:
    h = history_harness().join()
    h.feed(
        "@label=h1 :srv BATCH +lr labeled-response",
        "@batch=lr :srv BATCH +b1 chathistory #lobby",
        privmsg(1, "first"),
        privmsg(2, "hello alice", who="carol"),
        privmsg(3, "mine", who="alice"),
        ":srv BATCH -b1",
        ":srv BATCH -lr",
    )
    lobby = h.client.model.get("#lobby")
    assert lobby is not None
    assert [m.text for m in lobby.messages][:3] == ["first", "hello alice", "mine"]
    loaded = [e for e in h.events if isinstance(e, HistoryLoaded)]
    assert len(loaded) == 1 and loaded[0].active and len(loaded[0].messages) == 3
    assert all(m.history for m in loaded[0].messages)
    assert not loaded[0].messages[1].mention  # old news does not call for attention
    assert loaded[0].messages[2].own
    assert lobby.unread == 0 and not lobby.mentioned
    assert not [e for e in h.events if isinstance(e, MessageAdded) and e.message.history]


def test_a_live_line_already_seen_in_history_is_not_shown_twice() -> None:
    h = history_harness().join()
    h.feed(
        ":srv BATCH +b1 chathistory #lobby",
        privmsg(1, "once"),
        ":srv BATCH -b1",
        "@time=2026-01-01T10:00:01.000Z;msgid=m1 :bob!~bob@h PRIVMSG #lobby :once",
    )
    lobby = h.client.model.get("#lobby")
    assert lobby is not None and [m.text for m in lobby.messages].count("once") == 1


def test_history_already_held_is_skipped() -> None:
    h = history_harness().join()
    h.feed("@time=2026-01-01T10:00:01.000Z;msgid=m1 :bob!~bob@h PRIVMSG #lobby :live")
    h.feed(
        ":srv BATCH +b1 chathistory #lobby",
        privmsg(1, "live"),
        privmsg(2, "new"),
        ":srv BATCH -b1",
    )
    loaded = [e for e in h.events if isinstance(e, HistoryLoaded)]
    assert [m.text for m in loaded[0].messages] == ["new"]


def test_rejoining_asks_only_for_what_was_missed() -> None:
    h = history_harness().join()
    h.feed("@time=2026-01-01T10:00:07.000Z;msgid=m7 :bob!~bob@h PRIVMSG #lobby :seen")
    h.feed(":alice!~alice@h PART #lobby", ":alice!~alice@h JOIN #lobby")
    assert h.conn.texts()[-1] == "@label=h2 CHATHISTORY LATEST #lobby msgid=m7 50"


@pytest.mark.parametrize("code", ["INVALID_MSGREFTOKEN", "INVALID_PARAMS"])
def test_unknown_msgid_is_retried_by_time(code: str) -> None:
    # Our server answers an unknown msgid with the draft's INVALID_PARAMS naming it.
    h = history_harness().join()
    h.feed("@time=2026-01-01T10:00:07.000Z;msgid=m7 :bob!~bob@h PRIVMSG #lobby :seen")
    h.feed(":alice!~alice@h PART #lobby", ":alice!~alice@h JOIN #lobby")
    h.feed(f"@label=h2 :srv FAIL CHATHISTORY {code} LATEST msgid=m7 :Unknown")
    assert h.conn.texts()[-1] == (
        "@label=h3 CHATHISTORY LATEST #lobby timestamp=2026-01-01T10:00:07.000Z 50"
    )


def test_fetch_older_pages_back_from_the_oldest_msgid() -> None:
    h = history_harness().join()
    h.feed(":srv BATCH +b1 chathistory #lobby", privmsg(5, "five"), ":srv BATCH -b1")
    assert h.client.fetch_older("#lobby", 2)
    assert h.conn.texts()[-1] == "@label=h2 CHATHISTORY BEFORE #lobby msgid=m5 2"
    assert h.client.fetch_older("#lobby", 2)  # one is on its way: not sent twice
    assert h.conn.texts()[-1].startswith("@label=h2 ")
    h.feed(
        "@label=h2 :srv BATCH +b2 chathistory #lobby",
        privmsg(3, "three", batch="b2"),
        privmsg(4, "four", batch="b2"),
        ":srv BATCH -b2",
    )
    older = [e for e in h.events if isinstance(e, OlderMessages)]
    assert [m.text for m in older[0].messages] == ["three", "four"] and not older[0].complete
    lobby = h.client.model.get("#lobby")
    assert lobby is not None and [m.text for m in lobby.messages][:3] == ["three", "four", "five"]
    h.client.fetch_older("#lobby", 2)
    h.feed("@label=h3 :srv BATCH +b3 chathistory #lobby", ":srv BATCH -b3")
    older = [e for e in h.events if isinstance(e, OlderMessages)]
    assert older[-1] == OlderMessages("#lobby", (), True)


def test_without_labels_replies_match_by_target() -> None:
    h = history_harness(caps="server-time batch draft/chathistory").join()
    assert h.conn.texts()[-1] == "CHATHISTORY LATEST #lobby * 50"
    h.feed(":srv BATCH +x chathistory #lobby", privmsg(1, "one", batch="x"), ":srv BATCH -x")
    assert [e.messages[0].text for e in h.events if isinstance(e, HistoryLoaded)] == ["one"]


def test_without_the_cap_nothing_is_asked() -> None:
    h = history_harness(caps="server-time batch").join()
    assert not any("CHATHISTORY" in text for text in h.conn.texts())
    assert not h.client.fetch_older("#lobby")


def test_history_lines_zero_turns_it_off_and_the_server_cap_applies() -> None:
    h = history_harness(history_lines=0).join()
    assert not any("CHATHISTORY" in text for text in h.conn.texts())
    h = history_harness(history_lines=500).join()
    assert h.conn.texts()[-1].endswith(" 100")


def test_a_failed_fetch_is_reported_and_ends_the_wait() -> None:
    h = history_harness().join()
    h.client.fetch_older("#lobby")
    h.feed("@label=h2 :srv FAIL CHATHISTORY MESSAGE_ERROR BEFORE #lobby :Could not")
    assert [e for e in h.events if isinstance(e, OlderMessages)] == [
        OlderMessages("#lobby", (), False)
    ]
    lobby = h.client.model.get("#lobby")
    assert lobby is not None and "Could not load the history" in lobby.messages[-1].text


def test_other_batches_are_handled_line_by_line() -> None:
    h = history_harness().join()
    h.feed(
        ":srv BATCH +n netsplit a b",
        "@batch=n :dave!~d@h JOIN #lobby",
        ":srv BATCH -n",
    )
    lobby = h.client.model.get("#lobby")
    assert lobby is not None and lobby.messages[-1].text.startswith("dave has joined")


def test_open_private_opens_without_sending_and_fetches_history() -> None:
    h = history_harness()
    assert h.client.open_private("carol")
    chat = h.client.model.get("carol")
    assert chat is not None and chat.kind is BufferKind.PRIVATE
    assert h.client.model.active_buffer is chat
    assert h.conn.texts()[-1] == "@label=h1 CHATHISTORY LATEST carol * 50"
    assert not any("PRIVMSG" in text for text in h.conn.texts())
    assert not h.client.open_private("not valid")


def test_a_private_chat_follows_its_person_renamed() -> None:
    h = history_harness()
    h.client.open_private("carol")
    h.feed(":carol!~c@h NICK carla")
    assert BufferRenamed("carol", "carla") in h.events
    assert h.client.model.get("carla") is not None and h.client.model.get("carol") is None


def test_backlog_size_is_configurable() -> None:
    h = history_harness(backlog_lines=3).join()
    for n in range(6):
        h.feed(f"@msgid=x{n} :bob!~bob@h PRIVMSG #lobby :line {n}")
    assert [m.text for m in h.client.backlog(h.client.model.get("#lobby"))] == [  # type: ignore[arg-type]
        "line 3",
        "line 4",
        "line 5",
    ]


def test_around_a_message_goes_to_the_ui_and_not_into_the_buffer() -> None:
    h = history_harness().join()
    h.feed(
        "@label=h1 :srv BATCH +lr labeled-response",
        "@batch=lr :srv BATCH +b1 chathistory #lobby",
        privmsg(50, "latest"),
        ":srv BATCH -b1",
        ":srv BATCH -lr",
    )
    assert h.client.fetch_around("#lobby", "m5", 3)
    assert h.conn.texts()[-1] == "@label=h2 CHATHISTORY AROUND #lobby msgid=m5 3"
    h.feed(
        "@label=h2 :srv BATCH +b2 chathistory #lobby",
        privmsg(4, "before", batch="b2"),
        privmsg(5, "the one found", batch="b2"),
        "@batch=b2;msgid=r1;+draft/reply=m5;+draft/react=👍 :carol!~c@h TAGMSG #lobby",
        privmsg(6, "after", batch="b2"),
        ":srv BATCH -b2",
    )
    [around] = h.of(AroundLoaded)
    assert isinstance(around, AroundLoaded)
    assert (around.buffer, around.msgid) == ("#lobby", "m5")
    assert [m.text for m in around.messages] == ["before", "the one found", "after"]
    assert all(m.history for m in around.messages)
    lobby = h.client.model.get("#lobby")
    assert lobby is not None
    # Not inserted: paging back must still start before "latest", leaving no gap.
    assert "before" not in [m.text for m in lobby.messages]
    assert list(lobby.reactions["m5"]) == ["👍"]
    # Back to the latest: the active buffer is shown again with its own messages.
    assert h.client.show("#lobby") and not h.client.show("#gone")
    shown = h.of(ActiveBufferChanged)[-1]
    assert isinstance(shown, ActiveBufferChanged) and shown.buffer.name == "#lobby"
    assert "latest" in [m.text for m in shown.backlog]


def test_around_a_private_message_opens_the_chat_and_a_refusal_ends_it_empty() -> None:
    h = history_harness()
    assert h.client.fetch_around("carol", "m7", 5)
    carol = h.client.model.get("carol")
    assert carol is not None and carol.key == h.client.model.active
    sent = h.conn.texts()[-1]
    assert sent.endswith("CHATHISTORY AROUND carol msgid=m7 5"), sent
    label = sent.split()[0].removeprefix("@label=")
    h.feed(f"@label={label} :srv FAIL CHATHISTORY INVALID_TARGET AROUND carol :No such target")
    [around] = h.of(AroundLoaded)
    assert isinstance(around, AroundLoaded) and around.messages == ()
    assert not h.client.fetch_around("#nowhere", "m1", 5)
