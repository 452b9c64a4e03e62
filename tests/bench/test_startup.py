"""``python -m bench.startup`` runs end to end and reports every figure (their values are
the benchmark's business, not the test's)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.startup import bytecode_cache, main


def test_every_figure_is_measured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "startup.json"
    assert main(["--runs", "1", "--logins", "2", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    for label in ("server --no-web", "server (default, web on)"):
        assert figures[label]["listening_s"] > 0
        assert figures[label]["hwm_mb"] >= figures[label]["rss_mb"] > 0
    assert figures["import chatroom.serve"]["seconds"] > 0
    assert figures["client name prompt"]["seconds"] > 0
    logins = figures["2 SASL PLAIN logins at once"]
    assert logins["succeeded"] == 2
    assert logins["hwm_after_kb"] >= logins["hwm_before_kb"] > 0
    assert "server --no-web: listening_s" in capsys.readouterr().out


def test_the_programs_measured_get_a_bytecode_cache_and_the_environment_is_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    with bytecode_cache():
        assert "PYTHONDONTWRITEBYTECODE" not in os.environ
        cache = Path(os.environ["PYTHONPYCACHEPREFIX"])
        assert cache.is_dir()
    assert os.environ["PYTHONDONTWRITEBYTECODE"] == "1"
    assert "PYTHONPYCACHEPREFIX" not in os.environ
    assert not cache.exists()
