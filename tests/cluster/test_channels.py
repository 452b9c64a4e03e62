"""A channel's shared state survives its JSON form; anything else is a ValueError."""

from __future__ import annotations

import json

import pytest

from chatroom.cluster.channels import Echoes, dump, parse
from chatroom.server.channel import Channel
from chatroom.server.mirror import snapshot
from support.channels import busy_channel


def test_the_state_round_trips_through_json() -> None:
    state = snapshot(busy_channel())
    assert parse(dump(state)) == state
    plain = snapshot(Channel("#Room", "#room"))
    assert parse(dump(plain)) == plain


def test_the_json_is_what_older_processes_wrote() -> None:
    """Redis holds states written by older processes, and they read ours."""
    body = json.loads(dump(snapshot(busy_channel())))
    assert body == {
        "n": "#Room",
        "c": 1_700_000_000,
        "m": "imnt",
        "k": "sesame",
        "l": 12,
        "t": "hello",
        "ts": "a!u@h",
        "tt": 1_700_000_100,
        "f": "Alice",
        "a": ["alice", "bob"],
        "p": True,
        "b": [["bad!*@*", "a!u@h", 1_700_000_200]],
        "e": [],
        "I": [["*!*@friends", "a!u@h", 1_700_000_300]],
    }


@pytest.mark.parametrize(
    "change",
    [
        {"k": 5},
        {"l": "ten"},
        {"b": [["only-a-mask"]]},
        {"f": ["x"]},
        {"tt": "soon"},
        {"m": 5},
    ],
)
def test_a_bad_state_is_a_value_error(change: dict[str, object]) -> None:
    body = json.loads(dump(snapshot(busy_channel())))
    body.update(change)
    with pytest.raises(ValueError):
        parse(json.dumps(body))


@pytest.mark.parametrize("state", ["", "[]", "{}", '{"n":""}', '{"n":3}', "{not json"])
def test_a_state_without_a_name_is_a_value_error(state: str) -> None:
    with pytest.raises(ValueError):
        parse(state)


def test_an_echo_not_overtaken_is_skipped() -> None:
    echoes = Echoes()
    echoes.sent("#c")
    assert not echoes.heard_own("#c")
    echoes.heard_other("#c")  # after ours came back: applied as usual, nothing owed
    echoes.sent("#c")
    assert not echoes.heard_own("#c")


def test_the_last_own_echo_after_another_update_is_adopted() -> None:
    echoes = Echoes()
    echoes.sent("#c")
    echoes.sent("#c")
    echoes.heard_other("#c")  # Redis ran it before ours: ours are newer
    echoes.heard_other("#d")  # another channel: nothing to do with #c
    assert not echoes.heard_own("#c")  # a later own one is still on its way
    assert echoes.heard_own("#c")
    echoes.sent("#c")
    assert not echoes.heard_own("#c")  # settled: a new round starts clean
