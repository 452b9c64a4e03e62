"""Splitting clients over workers, and who should receive how many messages."""

from __future__ import annotations

from chatroom.bench.harness import expected_deliveries
from chatroom.bench.plan import ClientSpec, Partition


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
