"""The browser tests' helpers: Debian's Chromium driven by Playwright, one ``Person`` per
browser context (its own storage), and waits on conditions in the page.

Playwright must never download a browser (no ``playwright install``): it is told to use
/usr/bin/chromium. ``require_browser()`` skips the calling test module, saying why, when
Chromium or Playwright is missing. The fixtures (``browser``, ``people``) are in
tests/web/conftest.py.
"""

from __future__ import annotations

import os
import time
from types import ModuleType
from typing import Any

import pytest

from support.irc_client import IrcClient
from support.server import RunningServer
from support.timeouts import TIMEOUT

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 2 * TIMEOUT * 1000  # the longest a condition in the page may take
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_browser() -> ModuleType:
    """playwright.sync_api, or skip the calling module when the browser cannot run."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)",
            allow_module_level=True,
        )
    return pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")


class Person:
    """One browser tab in its own context, and what it saw."""

    def __init__(self, browser: Any, web_port: int, **context: Any) -> None:
        self.context = browser.new_context(**context)
        self.page: Any = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.base = f"http://127.0.0.1:{web_port}/"

    def sign_in(self, nick: str, path: str = "", password: str = "") -> Person:
        from playwright.sync_api import expect

        self.page.goto(self.base + path)
        expect(self.page.locator("#login")).to_be_visible()
        self.page.fill("#nick", nick)
        if password:
            if self.page.locator("#password-row").is_hidden():  # not asked for already
                self.page.click("#show-password")
            self.page.fill("#password", password)
        self.page.click("#login-form button[type=submit]")
        self.wait_connected()
        return self

    def wait_connected(self) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator("#status")).to_have_attribute("data-state", "connected")
        expect(self.page.locator(".msg.kind-join", has_text="You have joined")).not_to_have_count(0)

    def say(self, text: str) -> None:
        from playwright.sync_api import expect

        self.page.fill("#input", text)
        self.page.press("#input", "Enter")
        expect(self.page.locator("#input")).to_have_value("")

    def lines(self, text: str) -> Any:
        return self.page.locator("#messages .msg", has_text=text)

    def message(self, msgid: str) -> Any:
        return self.page.locator(f'#messages .msg[data-msgid="{msgid}"]')

    def buffer(self, name: str) -> Any:
        return self.page.locator("#buffers .buffer", has_text=name)

    def close(self) -> None:
        assert not self.errors, self.errors
        self.context.close()


def person(people: list[Person], browser: Any, server: RunningServer, **kw: Any) -> Person:
    """A new Person on `server`'s web port, closed (and checked) by the ``people`` fixture."""
    p = Person(browser, server.web_port, **kw)
    people.append(p)
    return p


def wait_until(page: Any, script: str) -> None:
    """Poll a JavaScript expression until it is true. (Playwright's wait_for_function
    evaluates a string inside the page, which our Content-Security-Policy forbids.)"""
    deadline = time.monotonic() + WAIT_MS / 1000
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"never true: {script}"
        time.sleep(0.05)


def tcp_client(server: RunningServer, nick: str, caps: str = "") -> IrcClient:
    """An IRC client (irctokens) registered as `nick` and in #lobby."""
    client = IrcClient(server.port).register(nick, caps)
    client.join("#lobby")
    return client
