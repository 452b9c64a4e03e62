"""Sharing files from the page in real Chromium: with a session token (EXTJWT,
``Authorization: Bearer``), never the password, and as a guest only where the server
lets guests share (``[files] guests``)."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from support.accounts import PASSWORD, register_account
from support.browser import Person, person, require_browser, tcp_client
from support.server import RunningServer, ServerFactory

browser_api = require_browser()
Browser = browser_api.Browser
expect = browser_api.expect


def png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (20, 120, 220)).save(picture, "PNG")
    return picture.getvalue()


def attach(someone: Person, name: str, mime: str, body: bytes) -> None:
    someone.page.set_input_files(
        "#attach-file", files=[{"name": name, "mimeType": mime, "buffer": body}]
    )


def authorizations(someone: Person) -> list[str]:
    """The Authorization header of every upload the page makes, as sent."""
    seen: list[str] = []

    def record(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/upload"):
            seen.append(request.headers.get("authorization", ""))

    someone.page.on("request", record)
    return seen


def test_a_signed_in_page_uploads_with_a_token_not_its_password(
    browser: Browser, server: RunningServer, people: list[Person]
) -> None:
    register_account(server, "lena").close()
    irc = tcp_client(server, "watcher")
    lena = person(people, browser, server).sign_in("lena", password=PASSWORD)
    sent = authorizations(lena)
    expect(lena.page.locator("#attach")).to_be_visible()
    attach(lena, "shot.png", "image/png", png())
    first = irc.expect("PRIVMSG").params[1]
    attach(lena, "notes.txt", "text/plain", b"the log\n")
    second = irc.expect("PRIVMSG").params[1]
    assert first != second and second.startswith(f"http://127.0.0.1:{server.web_port}/files/")
    assert len(sent) == 2 and all(value.startswith("Bearer ") for value in sent), sent
    assert sent[0] == sent[1]  # the token was used again, not asked for twice
    irc.close()


def test_a_guest_shares_only_where_the_server_lets_guests(
    browser: Browser, server_factory: ServerFactory, people: list[Person]
) -> None:
    closed = server_factory("--no-flood-control")
    guest = person(people, browser, closed).sign_in("guest")
    guest.say("hello")  # registered and answered: the page has asked for a token by now
    expect(guest.lines("hello")).to_have_count(1)
    expect(guest.page.locator("#attach")).to_be_hidden()

    open_ = server_factory("--no-flood-control", config="[files]\nguests = true\n")
    irc = tcp_client(open_, "watcher")
    visitor = person(people, browser, open_).sign_in("visitor")
    sent = authorizations(visitor)
    expect(visitor.page.locator("#attach")).to_be_visible()
    attach(visitor, "shot.png", "image/png", png())
    link = irc.expect("PRIVMSG").params[1]
    assert link.startswith(f"http://127.0.0.1:{open_.web_port}/files/")
    assert len(sent) == 1 and sent[0].startswith("Bearer ")
    thumb = visitor.page.locator(f'#messages img.thumb[src="{link}/thumb"]')
    expect(thumb).to_have_count(1)
    irc.close()
