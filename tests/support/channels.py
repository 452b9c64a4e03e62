"""A channel with every piece of shared state set, for tests of its snapshot and of the
snapshot's wire form."""

from __future__ import annotations

from chatroom.server.channel import Channel, ListEntry


def busy_channel() -> Channel:
    channel = Channel("#Room", "#room")
    channel.created = 1_700_000_000
    channel.modes = {"i", "m", "n", "t"}
    channel.key = "sesame"
    channel.limit = 12
    channel.topic, channel.topic_setter, channel.topic_time = "hello", "a!u@h", 1_700_000_100
    channel.lists["b"] += (ListEntry("bad!*@*", "a!u@h", 1_700_000_200),)
    channel.lists["I"] += (ListEntry("*!*@friends", "a!u@h", 1_700_000_300),)
    channel.founder = "Alice"
    channel.op_accounts = {"alice", "bob"}
    channel.permanent = True
    return channel
