"""SASL and REGISTER in the client core, line by line (no network)."""

from __future__ import annotations

import base64

from chatroom.client.events import LoggedIn, LoginFailed
from support.client_protocol import Harness


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_without_a_password_sasl_is_not_requested() -> None:
    h = Harness()
    h.feed(":srv CAP * LS :server-time sasl=PLAIN,SCRAM-SHA-256")
    assert h.conn.texts()[-1] == "CAP REQ server-time"


def test_plain_login_during_registration_waits_before_cap_end() -> None:
    h = Harness(host="chat.example.org", account_password="pw")
    h.feed(":srv CAP * LS :server-time sasl=PLAIN")
    assert h.conn.texts()[-1] == "CAP REQ :server-time sasl"
    h.feed(":srv CAP * ACK :server-time sasl")
    assert h.conn.texts()[-1] == "AUTHENTICATE PLAIN"
    h.feed("AUTHENTICATE +")
    assert h.conn.texts()[-1] == "AUTHENTICATE " + b64("\0alice\0pw")
    warning = h.client.model.active_buffer.messages[-1].text
    assert "without encryption" in warning and "chat.example.org" in warning
    h.feed(
        ":srv 900 alice alice!a@h alice :You are now logged in as alice",
        ":srv 903 alice :SASL authentication successful",
    )
    assert h.conn.texts()[-1] == "CAP END"
    assert LoggedIn("alice") in h.events and h.client.account == "alice"


def test_scram_is_preferred_and_a_failure_ends_registration_anyway() -> None:
    h = Harness(account_password="pw", account="acct")
    h.feed(":srv CAP * LS :sasl=PLAIN,SCRAM-SHA-256", ":srv CAP * ACK :sasl")
    assert h.conn.texts()[-1] == "AUTHENTICATE SCRAM-SHA-256"
    h.feed("AUTHENTICATE +")
    first = base64.b64decode(h.conn.sent[-1].params[0]).decode()
    assert first.startswith("n,,n=acct,r=")
    h.feed(":srv 904 alice :SASL authentication failed")
    assert h.conn.texts()[-1] == "CAP END"
    assert LoginFailed("acct", "wrong account name or password") in h.events


def test_a_server_without_our_mechanism_falls_back() -> None:
    h = Harness(account_password="pw")
    h.feed(":srv CAP * LS :sasl", ":srv CAP * ACK :sasl")
    assert h.conn.texts()[-1] == "AUTHENTICATE SCRAM-SHA-256"
    h.feed(":srv 908 alice PLAIN :are available SASL mechanisms", ":srv 904 alice :failed")
    assert h.conn.texts()[-1] == "AUTHENTICATE PLAIN"


def test_register_and_login_are_checked_and_kept_out_of_history() -> None:
    h = Harness()
    h.feed(":srv CAP * LS :server-time", ":srv CAP * ACK :server-time")
    h.register()
    h.client.submit("/register hunter2 two")
    h.client.submit("/login hunter2")
    assert h.client.history.items == ()
    texts = [m.text for m in list(h.client.model.active_buffer.messages)[-2:]]
    assert texts == [
        "This server does not let you create accounts.",
        "This server does not offer logging in.",
    ]


def test_nick_registered_note_says_what_to_do() -> None:
    h = Harness().register()
    h.feed(":srv NOTE * NICK_REGISTERED alice :The nick alice is registered. Log in within 30s.")
    text = h.client.model.active_buffer.messages[-1].text
    assert "Log in within 30s." in text and "/login PASSWORD" in text
