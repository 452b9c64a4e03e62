"""What the people in rooms are (client/members.py): the WHOX query after a join,
its replies read into the members, away-notify and account-notify; line by line."""

from __future__ import annotations

from chatroom.client.members import WHOX_TOKEN
from chatroom.client.model import Member, MessageKind
from support.client_protocol import Harness


def _whox(h: Harness) -> Harness:
    h.feed(":srv 005 alice WHOX :are supported")
    return h


def _lobby(h: Harness) -> dict[str, Member]:
    buffer = h.client.model.get("#lobby")
    assert buffer is not None
    return buffer.members


def test_joining_asks_whox_when_the_server_speaks_it() -> None:
    h = _whox(Harness().register())
    h.conn.texts()
    h.join()
    assert f"WHO #lobby %tcnuhafr,{WHOX_TOKEN}" in h.conn.texts()
    plain = Harness().register()
    plain.conn.texts()
    plain.join()
    assert not any(text.startswith("WHO") for text in plain.conn.texts())


def test_whox_replies_fill_accounts_and_away_states_quietly() -> None:
    h = _whox(Harness().register()).join(names="@alice bob")
    shown = len(h.client.model.server.messages)
    h.feed(
        f":srv 354 alice {WHOX_TOKEN} #lobby ~alice h alice H@ alice :Alice",
        f":srv 354 alice {WHOX_TOKEN} #lobby ~bob h bob G 0 :Bob",
        f":srv 354 alice {WHOX_TOKEN} #lobby ~carol h carol H+ carol :Carol",
        ":srv 315 alice #lobby :End of /WHO list",
    )
    members = _lobby(h)
    assert members["alice"] == Member("alice", "@", "alice", False)
    assert members["bob"] == Member("bob", "", None, True)
    assert members["carol"] == Member("carol", "+", "carol", False)  # joined meanwhile
    assert len(h.client.model.server.messages) == shown  # nothing shown
    assert not h.client.whox_pending
    # A later NAMES keeps what WHOX said, and /names marks who is away.
    h.feed(
        ":srv 353 alice = #lobby :@alice bob +carol",
        ":srv 366 alice #lobby :End of /NAMES list",
    )
    assert _lobby(h)["bob"].away and _lobby(h)["alice"].account == "alice"
    lobby = h.client.model.get("#lobby")
    assert lobby is not None
    names = [m for m in lobby.messages if m.kind is MessageKind.INFO]
    assert names[-1].text == "3 people in #lobby: @alice, +carol, bob (away)"


def test_a_who_the_user_typed_is_shown_not_taken() -> None:
    h = _whox(Harness().register()).join()
    h.feed(
        ":srv 315 alice #lobby :End of /WHO list",  # ours, swallowed
        ":srv 354 alice 7 bob G",
        ":srv 315 alice bob :End of /WHO list",
    )
    texts = [m.text for m in h.client.model.server.messages]
    assert "7 bob: G" in texts and "bob: End of /WHO list" in texts
    assert not _lobby(h)["bob"].away


def test_away_and_account_notifications_update_every_room() -> None:
    h = Harness().register().join().join("#dev", "alice bob")
    h.feed(":bob!~b@h AWAY :lunch", ":bob!~b@h ACCOUNT bobby")
    for name in ("#lobby", "#dev"):
        buffer = h.client.model.get(name)
        assert buffer is not None
        assert buffer.members["bob"] == Member("bob", "", "bobby", True)
    h.feed(":bob!~b@h AWAY", ":bob!~b@h ACCOUNT *")
    assert _lobby(h)["bob"] == Member("bob")


def test_extended_join_gives_the_account() -> None:
    h = Harness().register().join()
    h.feed(":dave!~d@h JOIN #lobby dave :Dave", ":erin!~e@h JOIN #lobby * :Erin")
    assert _lobby(h)["dave"].account == "dave" and _lobby(h)["erin"].account is None


def test_a_mode_or_nick_change_keeps_what_is_known() -> None:
    h = _whox(Harness().register()).join()
    h.feed(f":srv 354 alice {WHOX_TOKEN} #lobby ~bob h bob G bob :Bob")
    h.feed(":alice!~a@h MODE #lobby +v bob", ":bob!~b@h NICK robert")
    assert _lobby(h)["robert"] == Member("robert", "+", "bob", True)
