"""``chatroom server --workers N``: several processes on one port, one chat network."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from chatroom.storage.passwords import hash_password
from support.irc_client import IrcClient, process_of
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member
from support.timeouts import TIMEOUT

OPERATOR = f'[[operators]]\nname = "op"\npassword = "{hash_password("pw")}"\n'


def _gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie not yet reaped counts as exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def test_two_workers_share_one_port(server_factory: ServerFactory, redis: RedisServer) -> None:
    parent = cluster_member(server_factory, redis.url, "--workers", "2", config=OPERATOR)
    parent.wait_for_log(r"(?s)Listening at 127\.0\.0\.1:(\d+).*Listening at 127\.0\.0\.1:\1")
    # The kernel spreads connections: collect clients until two processes have some.
    by_process: dict[str, IrcClient] = {}
    clients = []
    for i in range(24):
        client = IrcClient(parent.port).register(f"w{i}")
        client.send("OPER op pw")
        client.expect("381")
        clients.append(client)
        by_process.setdefault(process_of(client), client)
        if len(by_process) == 2:
            break
    assert len(by_process) == 2, "every connection went to one worker"
    one, other = by_process.values()
    one.join("#workers")
    other.join("#workers")
    one.expect("JOIN", lambda line: line.source.startswith(f"{other.nick}!"))
    one.send("PRIVMSG #workers :across workers")
    assert other.expect("PRIVMSG").params[1] == "across workers"
    # Each process lists both.
    assert len(_processes_seen(one)) == 2

    pids = [int(process.split(":")[1]) for process in by_process]
    assert parent.stop() == 0
    assert all(_gone(pid) for pid in pids)
    assert parent.log.count("Shutting down the server...") == 2
    assert "All 2 workers stopped" in parent.log


def _processes_seen(client: IrcClient) -> set[str]:
    deadline = time.monotonic() + TIMEOUT
    while True:
        client.send("STATS N")
        seen = {line.params[1].split()[0] for line in client.until("219") if line.command == "249"}
        if len(seen) >= 2 or time.monotonic() > deadline:
            return seen
        time.sleep(0.1)


def test_workers_need_a_cluster(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "chatroom", "server", "127.0.0.1", "-p", "0", "--no-web"]
    argv += ["--data-dir", str(tmp_path), "--workers", "2"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT * 3)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "--cluster" in proc.stderr


def test_a_dead_worker_is_restarted_and_a_dead_parent_stops_them(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    parent = server_factory("--no-web", "--cluster", redis.url, "--workers", "2")
    started = parent.wait_for_log(
        r"(?s)Started worker 0 \(pid (\d+)\).*Started worker 1 \(pid (\d+)\)"
    )
    first, second = int(started.group(1)), int(started.group(2))
    parent.wait_for_log(r"(?s)Listening at.*Listening at")
    os.kill(first, signal.SIGKILL)
    again = parent.wait_for_log(
        r"(?s)Worker 0 exited unexpectedly.*?Started worker 0 \(pid (\d+)\)"
    )
    restarted = int(again.group(1))
    parent.wait_for_log(
        r"(?s)Started worker 0 \(pid \d+\).*Listening at.*Listening at.*Listening at"
    )
    # Still one server on the port.
    IrcClient(parent.port).register("still_here")
    # The parent dies without a word: the workers see their stdin close and stop.
    parent.stop(signal.SIGKILL)
    deadline = time.monotonic() + TIMEOUT
    while not (_gone(second) and _gone(restarted)):
        assert time.monotonic() < deadline, "a worker outlived its parent"
        time.sleep(0.1)
