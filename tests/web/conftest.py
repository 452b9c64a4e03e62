"""Fixtures of the browser tests: one headless Chromium per module, and the people
(browser contexts) a test opened, checked for script errors and closed at its end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.browser import ARGS, CHROMIUM, WAIT_MS, Person


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        # launch() gives the browser a fresh, temporary user-data-dir of its own.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=ARGS, timeout=WAIT_MS
        )
        yield browser
        browser.close()


@pytest.fixture
def people(browser: Any) -> Iterator[list[Person]]:
    """Persons opened in a test; closed (and checked for script errors) at the end."""
    opened: list[Person] = []
    yield opened
    for person in opened:
        person.close()
