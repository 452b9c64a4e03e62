"""Fixtures for the Tk client tests: a private Xvfb, a Tk root on it, and the
app connected to a real server. Without Xvfb the display tests skip, saying why.
"""

from __future__ import annotations

import contextlib
import gc
import tkinter as tk
from collections.abc import Iterator

import pytest

from chatroom.client.config import ClientConfig
from chatroom.ui.tk.app import RunnerFactory, TkChatApp
from support.tk import FAST_RECONNECT, GuiFactory
from support.xvfb import Xvfb, XvfbUnavailable, start_xvfb


@pytest.fixture(scope="session")
def xvfb() -> Iterator[Xvfb]:
    """One Xvfb for the whole run (each test gets its own Tk root on it)."""
    try:
        server = start_xvfb()
    except XvfbUnavailable as exc:
        pytest.skip(f"Tk tests need a display: {exc}")
    yield server
    server.stop()


@pytest.fixture
def root(xvfb: Xvfb) -> Iterator[tk.Tk]:
    """A Tk root on the private display; destroyed after the test."""
    window = tk.Tk(screenName=xvfb.display, className="Chatroom")
    yield window
    with contextlib.suppress(tk.TclError):  # the app may have destroyed it already
        window.destroy()
    # Tk variables must be deleted on this thread: collect them now, not when a
    # later test's client thread happens to trigger the garbage collector.
    gc.collect()


@pytest.fixture
def gui(root: tk.Tk) -> Iterator[GuiFactory]:
    """``gui(port, nick="alice", **config)``: the app in ``root``, connected to
    127.0.0.1:``port`` (reconnecting fast). Closed (QUIT sent, thread joined)
    at teardown. Pass ``runner_factory`` to use a fake core, ``nick=None``
    to get the app without starting a connection."""
    apps: list[TkChatApp] = []

    def start(
        port: int,
        nick: str | None = "alice",
        runner_factory: RunnerFactory | None = None,
        **options: object,
    ) -> TkChatApp:
        options.setdefault("reconnect_delays", FAST_RECONNECT)
        config = ClientConfig("127.0.0.1", port, nick=nick, **options)  # type: ignore[arg-type]
        extra = {} if runner_factory is None else {"runner_factory": runner_factory}
        app = TkChatApp(root, config=config, _utest=True, **extra)  # type: ignore[arg-type]
        root.geometry("900x600+0+0")
        apps.append(app)
        if nick is not None:
            app.start(config)
        return app

    yield start
    for app in apps:
        app.close()
        app.wait()
