"""Driving ``chatroom client`` through a real pseudo-terminal (pexpect).

Two ways to look at it. ``expect`` matches the output as text with escape
sequences removed: prompt_toolkit styles each fragment and moves the cursor, so
the raw bytes never hold a whole sentence, but the visible text does, in the
order it was written. ``expect_shown`` looks at the screen as a terminal draws
it (pyte, a terminal emulator): for the parts prompt_toolkit redraws in place,
such as the bottom bar, where only the changed characters are written.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable

import pexpect
import pyte

from support.timeouts import TIMEOUT

# CSI, OSC, charset and keypad sequences, and carriage returns.
_ESCAPES = re.compile(
    r"\x1b\[[0-9;?<=>]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(\x07|\x1b\\)"
    r"|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\r"
)


def visible(raw: str) -> str:
    return _ESCAPES.sub("", raw)


class PtyClient:
    """``chatroom client ARGS`` on a pty, 100 columns by 30 rows."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ, TERM="xterm-256color", **(env or {}))
        env.pop("PROMPT_TOOLKIT_NO_CPR", None)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "chatroom", "client", *args],
            env=env,
            dimensions=(30, 100),
            encoding="utf-8",
            codec_errors="replace",
            timeout=TIMEOUT,
        )
        self.terminal = pyte.Screen(100, 30)
        self.stream = pyte.Stream(self.terminal)
        self.raw = ""
        self.pos = 0  # how far expect() has consumed the visible text
        self.ended = False

    @property
    def screen(self) -> str:
        """All visible text so far."""
        return visible(self.raw)

    def _pump(self, timeout: float) -> None:
        try:
            data = self.child.read_nonblocking(65536, timeout)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            self.ended = True
            return
        self.raw += data
        self.stream.feed(data)
        # Answer cursor position requests as a terminal does: without an answer
        # prompt_toolkit cannot size its layout and hides the bottom bar.
        for _ in range(data.count("\x1b[6n")):
            self.child.send("\x1b[1;1R")

    def _pump_until(
        self, found: Callable[[], bool], failure: Callable[[], str], timeout: float
    ) -> None:
        """Read the client's output until ``found()``; fail with ``failure()`` if it
        ends or ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while not found():
            if self.ended or time.monotonic() > deadline:
                raise AssertionError(failure())
            self._pump(0.05)

    def expect(self, text: str, timeout: float = TIMEOUT) -> None:
        """Wait until ``text`` is visible after what was matched before."""

        def found() -> bool:
            index = self.screen.find(text, self.pos)
            if index != -1:
                self.pos = index + len(text)
            return index != -1

        def failure() -> str:
            return f"never saw {text!r}; screen ends with:\n{self.screen[-1500:]}"

        self._pump_until(found, failure, timeout)

    def shown(self) -> list[str]:
        """The terminal's rows as they are drawn now."""
        return [row.rstrip() for row in self.terminal.display]

    def expect_shown(self, text: str, timeout: float = TIMEOUT) -> None:
        """Wait until a row of the drawn screen holds ``text``."""
        self._pump_until(
            lambda: any(text in row for row in self.shown()),
            lambda: f"never shown {text!r}; the screen is:\n" + "\n".join(self.shown()),
            timeout,
        )

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def enter(self, line: str) -> None:
        self.child.send(line + "\r")

    def wait_exit(self, timeout: float = TIMEOUT) -> int:
        """Wait for the client to exit; return its exit code."""
        deadline = time.monotonic() + timeout
        while not self.ended and time.monotonic() < deadline:
            self._pump(0.1)
        self.child.close()
        assert self.child.exitstatus is not None, f"client did not exit:\n{self.screen[-800:]}"
        return int(self.child.exitstatus)

    def kill(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close(force=True)
