"""A chat network on a real Redis Cluster (issue 16, item 3): three processes on a
cluster of 3 masters and 3 replicas (``support.redis_cluster``) with a shared
PostgreSQL history. A master is killed with SIGKILL during traffic, its replica takes
over, and chat goes on with nothing lost that history has (caught up, exactly once).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.exceptions import RedisError

from chatroom.cluster.connect import Subscription, connect, parse_target, subscription
from chatroom.cluster.keys import channel_events_key
from chatroom.cluster.subscriber import Message
from support.chat_rounds import User, chat_round, wait_all
from support.irc_client import IrcClient, names
from support.ports import free_port
from support.postgres import running_postgres
from support.redis import RedisServer
from support.redis_cluster import RedisCluster, running_redis_cluster
from support.server import ServerFactory, cluster_member
from support.timeouts import TIMEOUT, eventually

STATE = "{chatroom}"  # the hash tag of every key of the network (cluster/keys.py)


@pytest.fixture
def redis_cluster() -> Iterator[RedisCluster]:
    with running_redis_cluster() as cluster:
        yield cluster


@pytest.fixture
def database_url() -> Iterator[str]:
    with running_postgres() as cluster:
        yield cluster.dsn()


def _room_on(cluster: RedisCluster, master: int, same: bool) -> str:
    """A channel whose messages' shard channel is (or is not) on ``master``."""
    for i in range(1000):
        room = f"#room{i}"
        if (cluster.master_of(channel_events_key(room)) == master) == same:
            return room
    raise LookupError("no such room")


def test_three_processes_chat_through_a_master_failover(
    server_factory: ServerFactory, redis_cluster: RedisCluster, database_url: str, tmp_path: Path
) -> None:
    servers = [
        cluster_member(server_factory, redis_cluster.url,
            "--database", database_url, "--data-dir", str(tmp_path / f"p{i}"),
        )
        for i in range(3)
    ]  # fmt: skip
    # The master to kill holds the network's state (nicks, members, channel states)
    # and one of the two rooms' messages; the other room's are elsewhere.
    victim = redis_cluster.master_of(STATE)
    rooms = [_room_on(redis_cluster, victim, True), _room_on(redis_cluster, victim, False)]
    users = [User(servers[i % 3].port, f"u{i}") for i in range(6)]
    for room in rooms:
        for user in users:
            user.client.join(room)
    watcher = IrcClient(servers[2].port).register("watcher")
    for room in rooms:
        eventually(
            lambda r=room: names(watcher, r) == {u.nick for u in users},
            lambda: servers[2].log,
        )
    for room in rooms:
        chat_round(room, users, f"before {room}")

    # Kill the master during traffic: half a round goes out just before, the rest
    # while the cluster has no master for the state's slot.
    during: dict[User, set[str]] = {u: set() for u in users}
    for index, room in enumerate(rooms):
        if index == 1:
            redis_cluster.kill_master(victim)
        for user, texts in chat_round(room, users, f"during {room}", wait=False).items():
            during[user] |= texts
    redis_cluster.wait_for_failover(victim)
    wait_all(users, lambda u: during[u] <= set(u.texts()), "messages sent during the failover")

    # After the failover: live chat in both rooms and in private, a new user, a
    # nick change, as before.
    for room in rooms:
        chat_round(room, users, f"after {room}")
    newcomer = IrcClient(servers[0].port).register("newcomer")
    newcomer.join(rooms[0])
    eventually(lambda: "newcomer" in names(watcher, rooms[0]), lambda: servers[0].log)
    users[1].send("NICK renamed")
    eventually(lambda: "renamed" in names(watcher, rooms[0]), lambda: servers[1].log)

    # Nothing twice either: no text and no msgid delivered twice to anyone.
    for user in users:
        user.pump(0.5)
        user.assert_nothing_twice()


def _start_fails(tmp_path: Path, url: str) -> str:
    """Start a server with ``--cluster url``: it must exit 1 with one line saying why."""
    argv = [sys.executable, "-m", "chatroom", "server", "127.0.0.1", "-p", "0", "--no-web"]
    argv += ["--data-dir", str(tmp_path), "--cluster", url]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT * 3)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if "Could not join the network" in line]
    assert len(errors) == 1, output
    return errors[0]


def test_an_unreachable_cluster_is_one_line_at_start(tmp_path: Path) -> None:
    seeds = ",".join(f"127.0.0.1:{free_port()}" for _ in range(2))
    line = _start_fails(tmp_path, f"redis+cluster://user:hunter2@{seeds}")
    assert "cannot reach Redis at redis+cluster://***@" in line
    assert "hunter2" not in line


def test_a_bad_cluster_url_is_one_line_at_start(tmp_path: Path) -> None:
    line = _start_fails(tmp_path, "redis+cluster://h1:7000/3")
    assert "bad Redis URL: a Redis Cluster has one database only" in line


def test_one_redis_named_as_a_cluster_is_one_line_at_start(
    tmp_path: Path, redis: RedisServer
) -> None:
    line = _start_fails(tmp_path, f"redis+cluster://127.0.0.1:{redis.port}")
    assert "cannot reach Redis" in line


async def test_the_subscription_moves_off_a_dead_node(redis_cluster: RedisCluster) -> None:
    target = parse_target(redis_cluster.url)
    client = await connect(target)
    subscription_ = subscription(client, target)
    try:
        await subscription_.subscribe("chatroom:events")
        await subscription_.ssubscribe(channel_events_key("#moving"))
        kinds = {kind for kind, _, _ in await _next(subscription_)}
        if kinds != {b"subscribe", b"ssubscribe"}:  # the two may come in one read or two
            kinds |= {kind for kind, _, _ in await _next(subscription_)}
        assert kinds == {b"subscribe", b"ssubscribe"}
        # Kill the node the plain subscription is on, whatever it is (a replica too).
        assert subscription_.where is not None
        port = subscription_.where[1]
        redis_cluster.kill_master(port)
        with pytest.raises(RedisError):  # the bridge counts an outage and catches up
            await _next(subscription_)
        redis_cluster.wait_for_failover(port)
        heard: list[tuple[bytes, bytes]] = []
        deadline = asyncio.get_running_loop().time() + TIMEOUT * 2
        while {kind for kind, _ in heard} != {b"message", b"smessage"}:
            assert asyncio.get_running_loop().time() < deadline, heard
            with contextlib.suppress(RedisError):
                await client.publish("chatroom:events", "network-wide")
                await client.spublish(channel_events_key("#moving"), "in the channel")
            with contextlib.suppress(RedisError):
                for kind, _, data in await subscription_.get_messages(timeout=0.5):
                    if kind in (b"message", b"smessage"):
                        heard.append((kind, data))
        assert (b"network-wide" in {data for _, data in heard}) and (
            b"in the channel" in {data for _, data in heard}
        )
    finally:
        await subscription_.aclose()
        await client.aclose()


async def _next(subscription_: Subscription) -> list[Message]:
    messages = await subscription_.get_messages(timeout=TIMEOUT)
    assert messages
    return messages
