"""``python -m bench.search``: each way of filling a file indexes as it says, and a small
run prints every figure (their values are the benchmark's business, not the test's)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.search import MODES, _messages, fill, main


def _indexed_rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM messages_fts_docsize").fetchone()[0])


@pytest.mark.parametrize("mode", MODES)
async def test_each_mode_fills_and_indexes_as_it_says(tmp_path: Path, mode: str) -> None:
    messages = _messages(500)
    stored, caught_up = await fill(tmp_path / "h.db", messages, mode=mode)
    assert stored > 0 and (caught_up > 0) == (mode == "background")
    assert _indexed_rows(tmp_path / "h.db") == (0 if mode == "none" else 500)


def test_a_small_run_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--messages", "3000", "--repeat", "1", "--rounds", "2"])
    out = capsys.readouterr().out
    assert "3,000 messages stored, 2 round(s)" in out
    figures = ["without the index", "indexed behind the writes", "as they are written"]
    figures += ["then indexed in the background", "word + from", "2 characters", "no text"]
    for figure in figures:
        assert figure in out, figure
