"""Issue 18 between two kinds of client: the terminal client on a real pty, and the
Python core on its thread as the Tk client runs it (ClientThread), with an
independent IRC client (irctokens) where the wire form matters."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from chatroom.client.config import ClientConfig
from chatroom.client.events import Event, HistoryLoaded, MessageAdded, ReactionsChanged, Ready
from chatroom.client.thread import ClientThread
from support.accounts import PASSWORD, register_account
from support.irc_client import IrcClient
from support.pty import PtyClient
from support.server import RunningServer
from support.timeouts import TIMEOUT

Spawn = Callable[..., PtyClient]


class Core:
    """The core on its thread, as the Tk client drives it, and every event it emitted."""

    def __init__(self, port: int, nick: str, **options: object) -> None:
        config = ClientConfig("127.0.0.1", port, nick=nick, **options)  # type: ignore[arg-type]
        self.runner = ClientThread(config)
        self.seen: list[Event] = []
        self.runner.start()

    def wait(self, kind: type[Event], where: Callable[[Event], bool] = lambda e: True) -> Event:
        """The first event of ``kind`` matching ``where``, polled as a UI's after() does."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            self.seen.extend(self.runner.drain())
            found = [e for e in self.seen if isinstance(e, kind) and where(e)]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no {kind.__name__} among {self.seen!r}")

    def stop(self) -> None:
        self.runner.quit()
        self.runner.join(TIMEOUT)


@pytest.fixture
def cores() -> Iterator[Callable[..., Core]]:
    started: list[Core] = []

    def start(port: int, nick: str, **options: object) -> Core:
        core = Core(port, nick, **options)
        started.append(core)
        return core

    yield start
    for core in started:
        core.stop()


def _tk_then_terminal(
    server: RunningServer, spawn: Spawn, cores: Callable[..., Core]
) -> tuple[Core, PtyClient]:
    """The core as Tk runs it ("tk"), ready, then the terminal client ("term") on a pty,
    past its welcome, both in #lobby."""
    tk = cores(server.port, "tk")
    tk.wait(Ready)
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "term")
    term.expect("All set!")
    return tk, term


def said(text: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, MessageAdded) and e.message.text == text


def test_the_terminal_reacts_and_the_others_see_it(
    server: RunningServer, spawn: Spawn, cores: Callable[..., Core]
) -> None:
    wire = IrcClient(server.port).register("wire", "message-tags")
    wire.join("#lobby")
    tk, term = _tk_then_terminal(server, spawn, cores)
    wire.expect("JOIN", lambda line: line.source.startswith("term!"))
    tk.runner.submit("lunch at noon?")
    term.expect("tk: lunch at noon?")
    msgid = wire.expect("PRIVMSG").tags["msgid"]
    term.enter("/react 👍")
    line = wire.expect("TAGMSG")
    assert line.source.startswith("term!")
    assert line.tags["+draft/react"] == "👍" and line.tags["+draft/reply"] == msgid
    event = tk.wait(ReactionsChanged)
    assert isinstance(event, ReactionsChanged) and event.msgid == msgid
    assert [(r.text, r.count, r.mine) for r in event.reactions] == [("👍", 1, False)]
    term.expect("└ 👍* 1  (tk: lunch at noon?)")
    term.enter("QUIT")
    assert term.wait_exit() == 0
    wire.close()


def test_the_other_replies_and_the_terminal_quotes_it(
    server: RunningServer, spawn: Spawn, cores: Callable[..., Core]
) -> None:
    tk, term = _tk_then_terminal(server, spawn, cores)
    term.enter("who has the keys?")
    tk.wait(MessageAdded, said("who has the keys?"))
    tk.runner.submit("/reply term I do, at the desk")
    term.expect("┌ term: who has the keys?")
    term.expect("tk: I do, at the desk")
    term.enter("QUIT")
    assert term.wait_exit() == 0


def test_reading_on_another_session_clears_the_terminals_unread(
    server: RunningServer, spawn: Spawn, cores: Callable[..., Core]
) -> None:
    register_account(server, "reader").close()
    term = spawn("127.0.0.1", "-p", str(server.port), "--nick", "reader", "--account-password", "-")
    term.expect("Account password:")
    term.enter(PASSWORD)
    term.expect("All set!")
    term.enter("/join #side")
    term.expect("You have joined #side")
    term.enter("/switch #lobby")
    term.expect("── #lobby ──")
    peer = IrcClient(server.port).register("peer")
    peer.join("#side")
    peer.send("PRIVMSG #side :one")
    term.expect_shown("3:#side(1)")
    peer.send("PRIVMSG #side :two")  # the bar is redrawn in place: only "2" is written
    term.expect_shown("3:#side(2)")
    # The same account on another device (the Tk client) reads #side.
    tk = cores(
        server.port, "reader2", account="reader", account_password=PASSWORD, rooms=("#side",)
    )
    tk.wait(HistoryLoaded, lambda e: isinstance(e, HistoryLoaded) and e.buffer == "#side")
    tk.runner.mark_read("#side")
    # The count is gone from the bottom bar.
    term.expect_shown("3:#side  │")
    term.enter("QUIT")
    assert term.wait_exit() == 0
    peer.close()


def test_typing_elsewhere_shows_in_the_terminals_bottom_bar(
    server: RunningServer, spawn: Spawn, cores: Callable[..., Core]
) -> None:
    tk, term = _tk_then_terminal(server, spawn, cores)
    tk.runner.input_changed("I am wri")
    term.expect_shown("│ tk is typing…")
    tk.runner.input_changed("")  # cleared: "done"
    tk.runner.submit("written")
    term.expect("tk: written")
    term.enter("QUIT")
    assert term.wait_exit() == 0
