"""Reloading the configuration live: limits lowered under connected users, the
keys that take a restart kept and named."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from chatroom.server.config import RESTART_ONLY, Config, attribute_for, live_config
from chatroom.server.reload import reconfigure
from support.core import Harness, commands, find


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    made = Harness(Config(flood_burst=20, flood_rate=5.0))
    yield made
    await made.close()


async def test_a_limit_lowered_live_holds_for_users_already_connected(harness: Harness) -> None:
    alice = await harness.user("alice")
    assert commands(await alice.ask("JOIN #one")) == ["JOIN", "353", "366"]
    pending = reconfigure(harness.server, replace(harness.server.config, max_channels=1))
    assert pending == []
    assert find(await alice.ask("JOIN #two"), "405").params[1] == "#two"
    # Raised again: allowed again, without reconnecting.
    reconfigure(harness.server, replace(harness.server.config, max_channels=5))
    assert "JOIN" in commands(await alice.ask("JOIN #two"))


async def test_the_motd_and_flood_settings_change_live(harness: Harness) -> None:
    alice = await harness.user("alice")
    new = replace(harness.server.config, motd="Renewed", flood_burst=3, flood_rate=0.5)
    reconfigure(harness.server, new)
    assert ("alice", "- Renewed") in [line.params for line in await alice.ask("MOTD")]
    bucket = alice.session.flood
    assert bucket is not None and (bucket.burst, bucket.rate) == (3.0, 0.5)


async def test_registration_closed_live(harness: Harness) -> None:
    assert "draft/account-registration" in harness.server.caps
    reconfigure(harness.server, replace(harness.server.config, registration_open=False))
    assert "draft/account-registration" not in harness.server.caps
    alice = await harness.user("alice")
    replies = await alice.ask("REGISTER * * :a long password")
    assert find(replies, "FAIL").params[:2] == ("REGISTER", "TEMPORARILY_UNAVAILABLE")


async def test_multiline_limits_change_live_with_the_cap_value(harness: Harness) -> None:
    new = replace(harness.server.config, multiline_max_bytes=1000, multiline_max_lines=5)
    reconfigure(harness.server, new)
    assert harness.server.caps["draft/multiline"] == "max-bytes=1000,max-lines=5"


async def test_what_takes_a_restart_keeps_its_running_value(harness: Harness) -> None:
    running = harness.server.config
    new = replace(running, port=7000, nicklen=9, data_dir="/elsewhere", topiclen=10)
    pending = reconfigure(harness.server, new)
    assert pending == ["server.port", "limits.nicklen", "history.data_dir"]
    config = harness.server.config
    assert (config.port, config.nicklen, config.data_dir) == (running.port, 32, "")
    assert config.topiclen == 10  # the rest applies


def test_every_restart_only_key_is_a_config_key() -> None:
    for dotted in RESTART_ONLY:
        attribute_for(dotted)  # a KeyError otherwise
    same, differ = live_config(Config(), Config())
    assert same == Config() and differ == []
