"""A small blocking IRC client for tests, parsing with irctokens (an independent
library), so the server is not checked only by our own parser."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import irctokens

from support.timeouts import TIMEOUT


class IrcClient:
    """One raw IRC connection. ``expect`` waits for a matching line."""

    def __init__(self, port: int, host: str = "127.0.0.1", *, auto_pong: bool = True) -> None:
        self.auto_pong = auto_pong
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.decoder = irctokens.StatefulDecoder()
        self.backlog: list[irctokens.Line] = []
        self.nick = "*"
        self._consumed: list[irctokens.Line] = []

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\r\n")

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return True
        if not data:
            return False
        lines = self.decoder.push(data)
        if lines:
            self.backlog.extend(lines)
            if self.auto_pong:
                for line in lines:
                    if line.command == "PING":
                        self.send(f"PONG :{line.params[-1]}")
        return True

    def expect(
        self,
        command: str,
        where: Callable[[irctokens.Line], bool] | None = None,
        timeout: float = TIMEOUT,
    ) -> irctokens.Line:
        """Return (and consume) the first line with ``command`` matching ``where``."""
        deadline = time.monotonic() + timeout
        while True:
            for i, line in enumerate(self.backlog):
                if line.command == command and (where is None or where(line)):
                    self._consumed = self.backlog[:i]
                    del self.backlog[: i + 1]
                    return line
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(min(left, 0.5)):
                seen = "\n".join(line.format()[:160] for line in self.backlog[-20:])
                why = "timed out" if left <= 0 else "connection closed"
                raise AssertionError(f"no {command} arrived ({why}); last lines:\n{seen}")

    def until(
        self,
        command: str,
        where: Callable[[irctokens.Line], bool] | None = None,
        timeout: float = TIMEOUT,
    ) -> list[irctokens.Line]:
        """Every line up to and including the next ``command`` (e.g. an end-of-list numeric)."""
        end = self.expect(command, where, timeout=timeout)
        # expect() consumed the lines before it too; rebuild them from the decoder's history.
        before, self._consumed = self._consumed, []
        return [*before, end]

    def until_any(
        self, commands: tuple[str, ...], timeout: float = TIMEOUT
    ) -> list[irctokens.Line]:
        """The next line whose command is one of ``commands`` (as a one-item list)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, line in enumerate(self.backlog):
                if line.command in commands:
                    del self.backlog[: i + 1]
                    return [line]
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(min(left, 0.5)):
                raise AssertionError(f"none of {commands} arrived")

    def collect(self, seconds: float) -> list[irctokens.Line]:
        """Everything that arrives within ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if not self._read(min(left, 0.2)):
                break
        lines, self.backlog = self.backlog, []
        return lines

    def closed(self, timeout: float = TIMEOUT) -> bool:
        """True once the server has closed the connection."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._read(0.2):
                return True
        return False

    def register(self, nick: str, caps: str = "") -> IrcClient:
        """Register (optionally requesting caps) and wait for the end of the MOTD."""
        if caps:
            self.send("CAP LS 302")
            self.send(f"CAP REQ :{caps}")
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick} real")
        if caps:
            self.expect("CAP", lambda line: line.params[1] == "ACK")
            self.send("CAP END")
        self.expect("001")
        self.expect("376")
        self.nick = nick
        return self

    def join(self, channel: str) -> None:
        self.send(f"JOIN {channel}")
        self.expect("366", lambda line: line.params[1].lower() == channel.lower())

    def close(self) -> None:
        self.sock.close()


def names(client: IrcClient, channel: str, *, prefixes: bool = False) -> set[str]:
    """The nicks NAMES lists in ``channel``; with ``prefixes``, as shown: ``{"@alice", "bob"}``."""
    client.send(f"NAMES {channel}")
    return {
        name if prefixes else name.lstrip("@+")
        for line in client.until("366")
        if line.command == "353"
        for name in line.params[3].split()
    }


def process_of(client: IrcClient) -> str:
    """The id of the network process ``client`` is connected to (``STATS N``)."""
    client.send("STATS N")
    return next(
        line.params[1].split()[0]
        for line in client.until("219")
        if line.command == "249" and line.params[1].endswith("(this process)")
    )
