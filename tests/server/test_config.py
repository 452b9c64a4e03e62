"""Configuration: defaults, TOML, validation messages that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatroom.errors import ConfigError
from chatroom.server.config import Config, config_from_mapping, config_keys, load_config


def test_defaults_need_no_file() -> None:
    config = load_config(None)
    assert (config.host, config.port, config.default_room) == ("127.0.0.1", 1060, "#lobby")
    assert config.nicklen == 32 and config.flood_enabled


def test_every_documented_key_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[server]\nname = "chat.lan"\nport = 6667\n[limits]\nnicklen = 20\nmax_clients = 0\n'
        "[flood]\nenabled = false\nrate = 2\n[timeouts]\nping_interval = 30\n"
    )
    config = load_config(path)
    assert config.name == "chat.lan" and config.port == 6667 and config.nicklen == 20
    assert config.max_clients == 0 and not config.flood_enabled
    assert config.flood_rate == 2.0 and config.ping_interval == 30.0
    docs = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    sections: dict[str, str] = {}
    for block in docs.split("\n["):
        header, _, body = block.partition("]")
        sections.setdefault(header.strip("["), body)  # the reference comes first
    for key in config_keys():
        table, _, name = key.rpartition(".")
        if table:
            assert f"\n{name} = " in sections.get(table, ""), f"{key} is not documented"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"limits": {"nicklen": "x"}}, "limits.nicklen: must be an integer from 1 to 200, not 'x'"),
        ({"limits": {"nicklen": True}}, "limits.nicklen: must be an integer"),
        ({"server": {"port": 70000}}, "server.port: must be an integer from 0 to 65535"),
        ({"server": {"bogus": 1}}, "server.bogus: unknown key"),
        ({"nosuchtable": {"a": 1}}, "nosuchtable.a: unknown key"),
        ({"port": 1}, "port: unknown key"),
        ({"server": {"name": "two words"}}, "server.name: must be one word"),
        ({"server": {"default_room": "lobby"}}, "server.default_room: must be a channel name"),
        ({"flood": {"enabled": "yes"}}, "flood.enabled: must be true or false"),
        (
            {"accounts": {"hash_concurrency": -1}},
            "accounts.hash_concurrency: must be an integer from 0 to 64",
        ),
        ({"operators": [{"name": "a", "password": "plain"}]}, "operators[0].password: must be"),
        ({"operators": [{"name": "a"}]}, "operators[0]: needs both name and password"),
    ],
)
def test_bad_values_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_mapping(data)
    assert message in str(info.value)
    assert str(info.value).startswith("config: ")


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[server\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_motd_file_replaces_motd(tmp_path: Path) -> None:
    motd = tmp_path / "motd.txt"
    motd.write_text("Line one\nLine two\n")
    assert Config(motd_file=str(motd)).motd_text() == "Line one\nLine two\n"
    assert Config(motd_file=str(tmp_path / "gone")).motd_text() == Config().motd


def test_web_table() -> None:
    config = config_from_mapping(
        {"web": {"port": 8000, "allowed_origins": ["HTTPS://Chat.Example/", "*"]}}
    )
    assert config.web_enabled and config.web_port == 8000 and config.web_host == ""
    assert config.web_allowed_origins == ("https://chat.example", "*")
    for bad in ("https://chat.example", ["chat.example"], ["https://chat.example/path"]):
        with pytest.raises(ConfigError, match=r"web\.allowed_origins: must"):
            config_from_mapping({"web": {"allowed_origins": bad}})


def test_web_trusted_proxies() -> None:
    config = config_from_mapping({"web": {"trusted_proxies": ["127.0.0.1", "10.1.0.0/16", "::1"]}})
    assert config.web_trusted_proxies == ("127.0.0.1/32", "10.1.0.0/16", "::1/128")
    assert Config().web_trusted_proxies == ()
    for bad in ("127.0.0.1", ["proxy.example"], ["10.0.0.0/33"], [1]):
        with pytest.raises(ConfigError, match=r"web\.trusted_proxies: must"):
            config_from_mapping({"web": {"trusted_proxies": bad}})


def test_the_redaction_window_is_seconds_from_zero() -> None:
    assert config_from_mapping({"history": {"redaction_window": 0}}).redaction_window == 0
    assert config_from_mapping({}).redaction_window == 900
    with pytest.raises(ConfigError, match="redaction_window"):
        config_from_mapping({"history": {"redaction_window": -1}})


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis+cluster://h1:7000,h2:7000", "redis+cluster://h1:7000,h2:7000"),
        ("rediss+cluster://h1:7000", "rediss+cluster://h1:7000"),
        ("h1:7000,h2:7000", "redis+cluster://h1:7000,h2:7000"),
        (["h1:7000", " h2:7000"], "redis+cluster://h1:7000,h2:7000"),
    ],
)
def test_cluster_redis_is_one_redis_or_a_redis_cluster(value: object, url: str) -> None:
    assert config_from_mapping({"cluster": {"redis": value}}).cluster_redis == url


@pytest.mark.parametrize("value", ["http://h:1", [], ["h1"], [7000], 6379])
def test_a_bad_cluster_redis_names_the_key(value: object) -> None:
    with pytest.raises(ConfigError, match=r"cluster\.redis: "):
        config_from_mapping({"cluster": {"redis": value}})
