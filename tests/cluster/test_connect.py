"""Reading ``--cluster``: one Redis or a Redis Cluster (cluster/connect.py)."""

from __future__ import annotations

import pytest

from chatroom.cluster.connect import RedisTarget, parse_target, safe


@pytest.mark.parametrize(
    "url",
    ["redis://127.0.0.1:6379/0", "rediss://:pw@redis.example:6380/2", "unix:///run/redis.sock"],
)
def test_one_redis_is_left_to_redis_py(url: str) -> None:
    target = parse_target(url)
    assert target == RedisTarget(url)
    assert not target.is_cluster


def test_a_cluster_url_names_its_seed_nodes() -> None:
    target = parse_target("redis+cluster://10.0.0.1:7000,10.0.0.2:7001, [::1]:7002")
    assert target.is_cluster
    assert target.seeds == (("10.0.0.1", 7000), ("10.0.0.2", 7001), ("::1", 7002))
    assert target.username is None and target.password is None and not target.tls


def test_a_bare_list_of_nodes_is_a_cluster() -> None:
    target = parse_target("10.0.0.1:7000,10.0.0.2:7000")
    assert target.url == "redis+cluster://10.0.0.1:7000,10.0.0.2:7000"
    assert target.seeds == (("10.0.0.1", 7000), ("10.0.0.2", 7000))


def test_a_cluster_url_carries_credentials_and_tls() -> None:
    target = parse_target("rediss+cluster://chat:s%40cret@h1:7000,h2:7000/")
    assert target.tls
    assert (target.username, target.password) == ("chat", "s@cret")
    assert target.seeds == (("h1", 7000), ("h2", 7000))
    target = parse_target("redis+cluster://:only-a-password@h1:7000")
    assert (target.username, target.password) == (None, "only-a-password")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://h:7000", "is not a redis://, rediss://, unix:// or redis+cluster:// URL"),
        ("localhost", "is not a redis://"),
        ("redis+cluster://", "names no node"),
        ("redis+cluster://h1", "'h1' is not host:port"),
        ("redis+cluster://h1:port", "'h1:port' is not host:port"),
        ("redis+cluster://h1:99999", "is not host:port"),
        ("redis+cluster://h1:7000,:7001", "':7001' is not host:port"),
        ("redis+cluster://h1:7000/3", "one database only"),
    ],
)
def test_a_bad_url_says_what_is_wrong_in_one_line(url: str, says: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_target(url)
    message = str(raised.value)
    assert says in message
    assert "\n" not in message


def test_a_password_never_shows_in_an_error() -> None:
    with pytest.raises(ValueError) as raised:
        parse_target("redis+cluster://user:hunter2@h1:x")
    assert "hunter2" not in str(raised.value)
    with pytest.raises(ValueError) as raised:
        parse_target("http://user:hunter2@h1:7000")
    assert "hunter2" not in str(raised.value)
    assert (
        safe("redis+cluster://u:hunter2@h1:7000,h2:7000") == "redis+cluster://***@h1:7000,h2:7000"
    )
