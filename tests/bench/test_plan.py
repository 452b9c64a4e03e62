"""Splitting clients over workers and server processes, and who should receive how many
messages."""

from __future__ import annotations

import random

from bench.harness import expected_deliveries
from bench.plan import ClientSpec, Partition, assign_ports
from bench.scenarios import (
    ACROSS,
    ROOM_SIZE,
    SAME,
    Params,
    _chat_specs,
    hop_senders,
    hop_specs,
    local_specs,
)


def test_partition_round_robin() -> None:
    specs = [ClientSpec(i, f"n{i}", "#r") for i in range(5)]
    parts = Partition.of(specs, 2).parts
    assert [[s.gid for s in part] for part in parts] == [[0, 2, 4], [1, 3]]
    assert Partition.of(specs[:1], 3).parts[2] == []


def test_expected_counts_others_in_the_same_room_only() -> None:
    specs = [
        ClientSpec(0, "a", "#one", sends=10),
        ClientSpec(1, "b", "#one", sends=5),
        ClientSpec(2, "c", "#one"),
        ClientSpec(3, "d", "#two", sends=7),
        ClientSpec(4, "e", "#two"),
        ClientSpec(5, "f", "#one,#two", slow=True),
    ]
    expected = expected_deliveries(specs, frozenset(range(6)))
    assert expected == {0: 5, 1: 10, 2: 15, 3: 0, 4: 7}


def test_expected_ignores_clients_that_failed_to_join() -> None:
    specs = [ClientSpec(0, "a", "#r", sends=10), ClientSpec(1, "b", "#r", sends=3)]
    assert expected_deliveries(specs, frozenset({1})) == {1: 0}


def test_ports_alternate_by_position_unless_a_node_is_pinned() -> None:
    specs = [ClientSpec(i, f"n{i}", "#r") for i in range(4)]
    assert assign_ports(specs, (7001, 7002)) == [7001, 7002, 7001, 7002]
    assert assign_ports(specs, (7001,)) == [7001] * 4
    pinned = [ClientSpec(0, "a", "#r", node=1), ClientSpec(1, "b", "#r", node=0)]
    assert assign_ports(pinned, (7001, 7002)) == [7002, 7001]
    # One process: a client pinned to the second one lands on the only port.
    assert assign_ports(pinned, (7001,)) == [7001, 7001]


def test_chat_rooms_are_split_evenly_over_two_processes() -> None:
    specs = _chat_specs("b2", 100, random.Random(1), 1.0)
    ports = assign_ports(specs, (1, 2))
    for room in {s.room for s in specs}:
        members = [port for s, port in zip(specs, ports, strict=True) if s.room == room]
        assert members.count(1) == members.count(2) == ROOM_SIZE // 2


def test_hop_receivers_hear_the_same_senders_from_two_processes() -> None:
    specs = hop_specs(2 * ROOM_SIZE, random.Random(1), 2.0)
    ports = assign_ports(specs, (1, 2))
    for room in ("#b7r0", "#b7r1"):
        members = [(s, port) for s, port in zip(specs, ports, strict=True) if s.room == room]
        senders = {port for s, port in members if s.sends}
        same = [(s, port) for s, port in members if s.label == SAME]
        across = [(s, port) for s, port in members if s.label == ACROSS]
        assert senders == {1}
        assert len(same) == len(across) == 1
        assert same[0][1] == 1 and across[0][1] == 2
        assert not same[0][0].sends and not across[0][0].sends
        assert same[0][0].sample and across[0][0].sample
    assert sum(1 for s in specs if s.sends) == hop_senders(len(specs)) == 18


def test_local_rooms_put_each_room_on_one_process() -> None:
    """Scenario 8: every room's members on one process, the rooms spread over all four."""
    specs = local_specs(Params(clients=160))
    ports = assign_ports(specs, (1, 2, 3, 4))
    by_room: dict[str, set[int]] = {}
    for spec, port in zip(specs, ports, strict=True):
        by_room.setdefault(spec.room, set()).add(port)
    assert len(by_room) == 8
    assert all(len(used) == 1 for used in by_room.values())
    assert {port for used in by_room.values() for port in used} == {1, 2, 3, 4}
