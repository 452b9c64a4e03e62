"""Users who keep every line they are sent, chatting in rounds, for the exactly-once
checks of the scale-out tests: :class:`User`, :func:`chat_round`, :func:`wait_all`."""

from __future__ import annotations

import time
from collections import Counter

import irctokens

from support.irc_client import IrcClient
from support.timeouts import TIMEOUT


class User:
    """A client that keeps every line it was sent, for exactly-once checks."""

    def __init__(self, port: int, nick: str) -> None:
        self.client = IrcClient(port).register(nick, "message-tags server-time")
        self.nick = nick
        self.lines: list[irctokens.Line] = []
        self.process = ""

    def send(self, text: str) -> None:
        self.client.send(text)

    def pump(self, seconds: float = 0.1) -> None:
        self.lines += self.client.collect(seconds)

    def texts(self) -> list[str]:
        return [line.params[1] for line in self.lines if line.command == "PRIVMSG"]

    def has(self, command: str, text: str) -> bool:
        return any(line.command == command and text in line.params[-1] for line in self.lines)

    def assert_nothing_twice(self) -> None:
        """No text and no msgid was delivered to this user twice."""
        counts = Counter(self.texts())
        assert not [t for t, c in counts.items() if c > 1], (self.nick, counts)
        msgids = Counter(line.tags["msgid"] for line in self.lines if line.command == "PRIVMSG")
        assert not [m for m, c in msgids.items() if c > 1], self.nick


def wait_all(users: list[User], done: object, what: str) -> None:
    """Pump every user until ``done(user)`` holds for all of them."""
    assert callable(done)
    deadline = time.monotonic() + TIMEOUT * 2
    while True:
        waiting = [u for u in users if not done(u)]
        if not waiting:
            return
        assert time.monotonic() < deadline, f"{what}: still waiting for {[u.nick for u in waiting]}"
        for user in waiting:
            user.pump(0.05)


def chat_round(
    channel: str, users: list[User], tag: str, wait: bool = True
) -> dict[User, set[str]]:
    """Every user says one line in ``channel`` and one privately to the next user;
    return what each user must receive."""
    expected: dict[User, set[str]] = {u: set() for u in users}
    for i, sender in enumerate(users):
        peer = users[(i + 1) % len(users)]
        sender.send(f"PRIVMSG {channel} :{tag} room {sender.nick}")
        sender.send(f"PRIVMSG {peer.nick} :{tag} pm {sender.nick}>{peer.nick}")
        for other in users:
            if other is not sender:
                expected[other].add(f"{tag} room {sender.nick}")
        expected[peer].add(f"{tag} pm {sender.nick}>{peer.nick}")
    if wait:
        wait_all(users, lambda u: expected[u] <= set(u.texts()), f"round {tag}")
    return expected
