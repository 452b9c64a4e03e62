"""ISUPPORT token rendering."""

from __future__ import annotations

from chatroom.protocol.isupport import chunk_tokens, isupport_tokens


def test_tokens_and_chunks() -> None:
    tokens = isupport_tokens({"NICKLEN": "32", "SAFELIST": None, "ELIST": ""})
    assert tokens == ["NICKLEN=32", "SAFELIST", "ELIST"]
    chunks = chunk_tokens([str(i) for i in range(30)])
    assert [len(c) for c in chunks] == [13, 13, 4]
