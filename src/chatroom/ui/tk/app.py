"""The Tk application: one window, one client core on a background thread, and
the ``after()`` loop that carries events from the one to the other.

The core runs in a :class:`~chatroom.client.thread.ClientThread`; its events
wait in a thread-safe queue. Every tick (:data:`TICK_MS`) the app drains at
most :data:`BATCH` of them and hands them to the presenter, which draws once
per batch. When a batch was full, the next tick comes almost at once but still
through ``after()``, so Tk handles clicks, keys and redraws between batches:
a flood of hundreds of messages a second delays the conversation a little and
never freezes the window. (``event_generate`` from the network thread would
be the other way, and Tk does not support it reliably across threads.)

Life cycle::

    app = TkChatApp(root, settings_file=...)
    app.start(config)        # a nick is known: straight to the chat
    app.ask(initial)         # or: the connect dialog first
    root.mainloop()          # until the window is closed or the user quits
    code = app.exit_code     # after mainloop returns
"""

from __future__ import annotations

import dataclasses
import logging
import time
import tkinter as tk
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from chatroom.client.config import ClientConfig
from chatroom.client.core import QUIT_GRACE
from chatroom.client.events import (
    CertificateChanged,
    CertificateUnknown,
    ConnectFailed,
    Event,
    ExitReason,
    NickRequired,
    Registered,
    Stopped,
)
from chatroom.client.thread import ClientThread
from chatroom.ui.tk.dialogs import ConnectDialog, TrustDialog
from chatroom.ui.tk.features import Features
from chatroom.ui.tk.formatting import COULD_NOT_CONNECT
from chatroom.ui.tk.presenter import Presenter
from chatroom.ui.tk.settings import ConnectSettings, save_settings
from chatroom.ui.tk.window import MainWindow

log = logging.getLogger(__name__)

TICK_MS = 40
"""How often the event queue is drained when it is quiet (25 times a second)."""

BATCH = 150
"""Most events handled per tick, so one tick never holds Tk for long."""

BACKLOG_LINES = 500
"""Messages redrawn when switching rooms: the window scrolls, so show plenty
(the terminal shows a screenful; the core's default is 50)."""


class Runner(Protocol):
    """What the app needs of a :class:`ClientThread` (tests may pass another)."""

    result: ExitReason | None

    def start(self) -> None: ...

    def drain(self, limit: int = 200) -> list[Event]: ...

    def submit(self, text: str) -> None: ...

    def input_changed(self, text: str) -> None: ...

    def switch_to(self, target: str) -> None: ...

    def provide_nick(self, nick: str) -> None: ...

    def quit(self, reason: str | None = None) -> None: ...

    def call(self, function: Callable[..., object]) -> None: ...

    def open_private(self, nick: str) -> None: ...

    def trust_certificate(self, trusted: bool) -> None: ...

    def fetch_older(self, buffer: str, limit: int = 50) -> None: ...

    def mark_read(self, name: str | None = None) -> None: ...

    def join(self, timeout: float | None = None) -> bool: ...


RunnerFactory = Callable[[ClientConfig], Runner]


class TkChatApp:
    """The desktop client in ``root``. ``settings_file`` is where the connect
    dialog remembers its fields (``None``: nowhere). ``config`` gives the
    options besides host, port and nick that the dialog does not ask for.
    ``_utest`` is passed to dialogs (see :mod:`chatroom.ui.tk.dialogs`)."""

    def __init__(
        self,
        root: tk.Tk,
        *,
        settings_file: Path | None = None,
        config: ClientConfig | None = None,
        runner_factory: RunnerFactory = ClientThread,
        _utest: bool = False,
    ) -> None:
        self.root = root
        self.settings_file = settings_file
        self.base_config = config or ClientConfig()
        self.config = self.base_config  # of the latest connection
        self.runner_factory = runner_factory
        self._utest = _utest
        self.window = MainWindow(root, _utest=_utest)
        self.features = Features(self, _utest=_utest)
        self.window.on_send = self.features.send
        self.runner: Runner | None = None
        self.presenter: Presenter | None = None
        self.dialog: ConnectDialog | None = None
        self.trust_dialog: TrustDialog | None = None
        self.closed = False
        self._failed = False  # the last connection attempt failed
        self._retired: list[Runner] = []  # runners abandoned, joined at exit
        self._after: str | None = None
        self._last_second = 0.0
        root.protocol("WM_DELETE_WINDOW", self.close)
        self._tick()

    # -- starting --------------------------------------------------------------------

    def start(self, config: ClientConfig) -> None:
        """Connect with ``config`` (which has a nick) and show the window."""
        self._run(config)
        self.root.deiconify()

    def ask(self, initial: ConnectSettings, error: str = "") -> ConnectDialog:
        """Hide the window and show the connect dialog, filled with ``initial``."""
        self.root.withdraw()
        if self.dialog is not None:
            self.dialog.destroy()
        self.dialog = ConnectDialog(
            self.root, initial, self._dialog_connect, self.close, error=error, _utest=self._utest
        )
        return self.dialog

    def _run(self, config: ClientConfig) -> None:
        if self.runner is not None:
            # A new attempt replaces one still waiting (e.g. for another name).
            self.runner.quit()
            self._retired.append(self.runner)
        if config.backlog_lines == ClientConfig().backlog_lines:
            config = dataclasses.replace(config, backlog_lines=BACKLOG_LINES)
        runner = self.runner_factory(config)
        self.runner = runner
        self.config = config
        presenter = Presenter(self.window, runner, config.host, config.port)
        self.presenter = presenter
        self.window.presenter = presenter
        runner.start()

    def _dialog_connect(self, settings: ConnectSettings) -> None:
        password = self.dialog.account_password() if self.dialog is not None else None
        config = dataclasses.replace(
            self.base_config,
            host=settings.host,
            port=settings.port,
            nick=settings.nick,
            account_password=password or self.base_config.account_password,
        )
        self._run(config)

    # -- the event loop ------------------------------------------------------------------

    def _tick(self) -> None:
        """Drain one batch of events, draw it, and schedule the next tick."""
        self._after = None
        if self.closed:
            return
        full = False
        runner, presenter = self.runner, self.presenter
        if runner is not None and presenter is not None:
            events = runner.drain(BATCH)
            if events:
                full = len(events) >= BATCH
                try:
                    self._certificate_events(runner, events)
                    if self.dialog is not None:
                        self._dialog_events(events)
                    presenter.handle(events)
                    self.features.handle(events)
                except Exception:
                    # A drawing bug must not stop the window from following the chat.
                    log.exception("failed to show %d events", len(events))
                self._after_events(events)
        self.features.tick()
        now = time.monotonic()
        if presenter is not None and now - self._last_second >= 0.25:
            self._last_second = now
            presenter.tick()
        if not self.closed:
            self._after = self.root.after(1 if full else TICK_MS, self._tick)

    def _certificate_events(self, runner: Runner, events: Sequence[Event]) -> None:
        """A certificate never seen before: ask (the core waits for the answer)."""
        for event in events:
            if isinstance(event, CertificateUnknown):
                if self.trust_dialog is not None and self.trust_dialog.winfo_exists():
                    self.trust_dialog.destroy()
                self.trust_dialog = TrustDialog(
                    self.root,
                    f"{event.host}:{event.port}",
                    event.fingerprint,
                    event.reason,
                    runner.trust_certificate,
                    _utest=self._utest,
                )
            elif isinstance(event, CertificateChanged) and self.dialog is not None:
                self._failed = True
                self.dialog.show_error(
                    f"The certificate of {event.host}:{event.port} has changed: not "
                    f"connecting. Remembered {event.expected[:23]}…, now "
                    f"{event.fingerprint[:23]}…; if the operator confirms it, edit "
                    f"{event.known_file}."
                )
                self.dialog.set_busy(False)

    def _dialog_events(self, events: Sequence[Event]) -> None:
        """While the connect dialog is up: its outcome is decided by these."""
        dialog, runner = self.dialog, self.runner
        if dialog is None or runner is None:
            return
        for event in events:
            if isinstance(event, Registered):
                self._connected(dialog)
                return
            if isinstance(event, ConnectFailed) and event.fatal:
                self._failed = True
                dialog.show_error(
                    COULD_NOT_CONNECT.format(host=event.host, port=event.port, reason=event.reason)
                )
                dialog.set_busy(False)
            elif isinstance(event, NickRequired):
                # The name was refused: let the user pick another in the dialog.
                self._failed = True
                dialog.show_error(event.problem or "Please choose another name.")
                dialog.set_busy(False)
            elif isinstance(event, Stopped) and event.reason is ExitReason.REJECTED:
                self._failed = True
                dialog.show_error(
                    f"The server refused the connection: {event.detail or 'no reason given'}"
                )
                dialog.set_busy(False)

    def _connected(self, dialog: ConnectDialog) -> None:
        values = dialog.values()
        if isinstance(values, ConnectSettings) and self.settings_file is not None:
            try:
                save_settings(self.settings_file, values)
            except OSError as exc:
                log.warning("could not remember the connection settings: %s", exc)
        self._failed = False
        dialog.destroy()
        self.dialog = None
        self.root.deiconify()
        self.window.input.focus_set()

    def _after_events(self, events: Sequence[Event]) -> None:
        presenter, runner = self.presenter, self.runner
        if presenter is None or runner is None:
            return
        if not any(isinstance(event, Stopped) for event in events):
            return
        if self.dialog is not None:
            return  # the dialog shows what happened; the user decides
        if presenter.stopped is ExitReason.QUIT:
            self.close()  # the user typed QUIT or /quit
        elif presenter.stopped is ExitReason.CONNECT_FAILED:
            # Started with --nick and the server is not there: offer the dialog.
            self._failed = True
            config = self.config
            initial = ConnectSettings(config.host, config.port, config.nick or "")
            self.ask(initial, error=presenter.status.text)

    # -- stopping ------------------------------------------------------------------------

    def close(self) -> None:
        """Leave: send QUIT, close the window. Idempotent. The client thread gets
        :data:`QUIT_GRACE` seconds to say goodbye (see :meth:`wait`)."""
        if self.closed:
            return
        self.closed = True
        if self._after is not None:
            self.root.after_cancel(self._after)
            self._after = None
        if self.runner is not None:
            self.runner.quit()
        for runner in self._retired:
            runner.quit()
        self.features.close()
        self.root.destroy()

    def wait(self, timeout: float = QUIT_GRACE + 2) -> None:
        """After :meth:`close`: wait for the client threads to end."""
        deadline = time.monotonic() + timeout
        for runner in [*self._retired, *([self.runner] if self.runner else [])]:
            runner.join(max(0.0, deadline - time.monotonic()))

    @property
    def exit_code(self) -> int:
        """0 if the user left normally, 1 if the last connection failed."""
        if self.runner is not None and self.runner.result is not None:
            if self.runner.result is ExitReason.QUIT and self._failed:
                return 1
            return self.runner.result.exit_code
        return 1 if self._failed else 0
