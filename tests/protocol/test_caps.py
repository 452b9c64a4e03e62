"""Capability negotiation helpers."""

from __future__ import annotations

from chatroom.protocol.caps import SUPPORTED, ls_entries, pack_entries, parse_request


def test_request_is_all_or_nothing() -> None:
    assert parse_request("server-time -batch", SUPPORTED) == [
        ("server-time", True),
        ("batch", False),
    ]
    assert parse_request("server-time bogus", SUPPORTED) is None
    assert parse_request("   ", SUPPORTED) is None


def test_ls_values_only_from_302() -> None:
    offered = {"sasl": "PLAIN", "batch": ""}
    assert ls_entries(offered, 301) == ["sasl", "batch"]
    assert ls_entries(offered, 302) == ["sasl=PLAIN", "batch"]


def test_pack_entries_respects_budget() -> None:
    entries = [f"cap-{i:03d}" for i in range(100)]
    chunks = pack_entries(entries, 60)
    assert all(len(c) <= 60 for c in chunks)
    assert " ".join(chunks).split() == entries
