"""Failover: three processes behind one port hold one chat network that survives the
death of any one process and a Redis restart (issue 9's "done when").

One run: ``--workers 3`` on one port, users on every worker chatting in one channel
and by private message; one worker is killed with SIGKILL (the others see its users
quit, their nicks are free, the rest chat on); then Redis restarts with empty memory
(the network forms again, and what was said during and after the restart reaches
everyone who stayed connected exactly once).
"""

from __future__ import annotations

import os
import signal
import time

from chatroom.storage.passwords import hash_password
from support.chat_rounds import User, chat_round, wait_all
from support.irc_client import IrcClient, process_of
from support.redis import RedisServer
from support.server import ServerFactory, cluster_member
from support.timeouts import SLOWDOWN, TIMEOUT

OPERATOR = f'[[operators]]\nname = "op"\npassword = "{hash_password("pw")}"\n'
CHANNEL = "#done"


def _register_soon(port: int, nick: str) -> IrcClient:
    """Register with ``nick``, trying again while it is still taken (433)."""
    client = IrcClient(port)
    client.send(f"USER {nick} 0 * :{nick}")
    deadline = time.monotonic() + TIMEOUT
    while True:
        client.send(f"NICK {nick}")
        if client.until_any(("001", "433"))[0].command == "001":
            return client
        assert time.monotonic() < deadline, f"{nick} stayed taken"
        time.sleep(0.2)


def test_three_workers_survive_a_dead_worker_and_a_redis_restart(
    server_factory: ServerFactory, redis: RedisServer
) -> None:
    parent = cluster_member(server_factory, redis.url, "--workers", "3", config=OPERATOR)
    parent.wait_for_log(r"(?s)(Listening at 127\.0\.0\.1:\d+.*){3}")

    # Connect until every worker has two users (the kernel spreads connections).
    by_process: dict[str, list[User]] = {}
    for i in range(60):
        user = User(parent.port, f"u{i}")
        user.send("OPER op pw")
        user.client.expect("381")
        user.process = process_of(user.client)
        group = by_process.setdefault(user.process, [])
        if len(group) < 2:
            group.append(user)
        else:
            user.send("QUIT")
        if len(by_process) == 3 and all(len(g) == 2 for g in by_process.values()):
            break
    assert len(by_process) == 3 and all(len(g) == 2 for g in by_process.values()), by_process
    users = [u for group in by_process.values() for u in group]
    for user in users:
        user.client.join(CHANNEL)
    # Each user sees the JOIN of everyone who joined after it.
    later = {u: {v.nick for v in users[i + 1 :]} for i, u in enumerate(users)}
    wait_all(
        users,
        lambda u: (
            {line.source.split("!")[0] for line in u.lines if line.command == "JOIN"} >= later[u]
        ),
        "joins",
    )
    chat_round(CHANNEL, users, "r1")

    # One worker dies without a word: its users quit for the others, with a reason.
    victim_process, victims = next(iter(by_process.items()))
    survivors = [u for u in users if u not in victims]
    killed_at = time.monotonic()
    os.kill(int(victim_process.split(":")[1]), signal.SIGKILL)
    wait_all(
        survivors,
        lambda u: all(
            any(
                line.command == "QUIT"
                and line.source.startswith(f"{v.nick}!")
                and line.params[0] == "Server went away"
                for line in u.lines
            )
            for v in victims
        ),
        "quits of the dead worker's users",
    )
    # Within seconds: the heartbeat lasts 3 s and is checked every second.
    assert time.monotonic() - killed_at < 8.0 * SLOWDOWN
    # Their nicks are free again, on whichever worker: the dead one is restarted, and
    # a worker starting while the dead one's heartbeat lasts knows within seconds.
    for victim in victims:
        _register_soon(parent.port, victim.nick).send("QUIT")
    chat_round(CHANNEL, survivors, "r2")

    # Redis restarts with empty memory. Everyone is told of the split; chat goes on.
    redis.pause()
    wait_all(survivors, lambda u: u.has("NOTICE", "network is split"), "split notices")
    during = chat_round(CHANNEL, survivors, "r3", wait=False)
    redis.resume()
    wait_all(survivors, lambda u: u.has("NOTICE", "network is whole again"), "heal notices")
    wait_all(survivors, lambda u: during[u] <= set(u.texts()), "messages of the outage")
    chat_round(CHANNEL, survivors, "r4")

    # Exactly once, for everyone who stayed connected: no text and no msgid twice.
    for user in survivors:
        user.pump(1.0)
        user.assert_nothing_twice()
        assert sum(1 for line in user.lines if "network is split" in line.params[-1]) == 1
        assert sum(1 for line in user.lines if "whole again" in line.params[-1]) == 1
    # The network formed again: a newcomer sees every survivor, and is seen.
    newcomer = User(parent.port, "newcomer")
    newcomer.client.join(CHANNEL)
    newcomer.send(f"NAMES {CHANNEL}")
    names = {
        name.lstrip("@+")
        for line in newcomer.client.until("366")
        if line.command == "353"
        for name in line.params[3].split()
    }
    assert names == {u.nick for u in survivors} | {"newcomer"}
