"""Real IRC client libraries (the `irc` package from PyPI) chat through our server."""

from __future__ import annotations

import threading
import time

import irc.client

from support.server import RunningServer
from support.timeouts import TIMEOUT


class Bot:
    """An `irc` library client running its own reactor thread, recording what it sees."""

    def __init__(self, port: int, nick: str) -> None:
        self.reactor = irc.client.Reactor()
        self.received: list[tuple[str, str, str]] = []
        self.welcomed = threading.Event()
        self.joined = threading.Event()
        self.connection = self.reactor.server().connect("127.0.0.1", port, nick)
        self.reactor.add_global_handler("welcome", lambda c, e: self.welcomed.set())
        self.reactor.add_global_handler("join", self._on_join)
        for kind in ("pubmsg", "privmsg", "action"):
            self.reactor.add_global_handler(kind, self._on_message)
        self._stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self._stop:
            self.reactor.process_once(0.05)

    def _on_join(self, connection: object, event: irc.client.Event) -> None:
        if irc.client.NickMask(event.source).nick == self.connection.get_nickname():
            self.joined.set()

    def _on_message(self, connection: object, event: irc.client.Event) -> None:
        nick = irc.client.NickMask(event.source).nick
        self.received.append((event.type, nick, event.arguments[0]))

    def wait_for(self, predicate: object, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if callable(predicate) and predicate():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; received {self.received}")

    def close(self) -> None:
        self.connection.quit("bye")
        time.sleep(0.1)
        self._stop = True
        self.thread.join(TIMEOUT)


def test_two_irc_library_clients_chat(server: RunningServer) -> None:
    alice, bob = Bot(server.port, "alice"), Bot(server.port, "bob")
    try:
        assert alice.welcomed.wait(TIMEOUT) and bob.welcomed.wait(TIMEOUT)
        alice.connection.join("#lobby")
        bob.connection.join("#lobby")
        assert alice.joined.wait(TIMEOUT) and bob.joined.wait(TIMEOUT)
        alice.connection.privmsg("#lobby", "hello from alice ✓")
        bob.wait_for(lambda: ("pubmsg", "alice", "hello from alice ✓") in bob.received)
        bob.connection.privmsg("alice", "a private hello")
        alice.wait_for(lambda: ("privmsg", "bob", "a private hello") in alice.received)
        bob.connection.action("#lobby", "waves")
        alice.wait_for(lambda: ("action", "bob", "waves") in alice.received)
    finally:
        alice.close()
        bob.close()
