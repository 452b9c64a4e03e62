"""ClientThread: the core on a background thread, as the Tk client uses it."""

from __future__ import annotations

import time

from chatroom.client.config import ClientConfig
from chatroom.client.events import Event, ExitReason, MessageAdded, Ready, Stopped
from chatroom.client.thread import ClientThread
from support.irc_client import IrcClient
from support.server import RunningServer
from support.timeouts import TIMEOUT


def drain_until(runner: ClientThread, seen: list[Event], kind: type[Event], text: str = "") -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        seen.extend(runner.drain())
        for event in seen:
            if isinstance(event, kind) and (
                not text or (isinstance(event, MessageAdded) and event.message.text == text)
            ):
                return
        time.sleep(0.01)  # a UI's after() tick
    raise AssertionError(f"no {kind.__name__} {text!r} in {seen!r}")


def test_thread_runs_the_client_and_hands_events_over(server: RunningServer) -> None:
    runner = ClientThread(ClientConfig("127.0.0.1", server.port, nick="tk"))
    runner.start()
    seen: list[Event] = []
    try:
        drain_until(runner, seen, Ready)
        peer = IrcClient(server.port).register("peer")
        peer.join("#lobby")
        peer.send("PRIVMSG #lobby :hello from irctokens")
        drain_until(runner, seen, MessageAdded, "hello from irctokens")
        runner.submit("hello from a thread")
        line = peer.expect("PRIVMSG")
        assert line.params == ["#lobby", "hello from a thread"]
        peer.close()
    finally:
        runner.quit()
        assert runner.join(TIMEOUT)
    seen.extend(runner.drain())
    assert isinstance(seen[-1], Stopped)
    assert runner.result is ExitReason.QUIT
    runner.submit("ignored after stop")  # no error once stopped


def test_exit_codes() -> None:
    assert ExitReason.QUIT.exit_code == 0
    assert {r.exit_code for r in ExitReason if r is not ExitReason.QUIT} == {1}
