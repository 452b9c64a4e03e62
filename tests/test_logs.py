"""The server's log: JSON lines, levels per area, repeats collapsed."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from chatroom.errors import ConfigError
from chatroom.logs import CollapsingHandler, JsonFormatter, parse_levels, setup
from support.server import ServerFactory


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("chatroom.cluster").setLevel(logging.NOTSET)


def _record(message: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("chatroom.server", level, __file__, 1, message, args, None)


def test_a_json_line_has_stable_keys() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = _record("Listening at %s:%d", "127.0.0.1", 1060)
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter(worker=2).format(record))
    assert list(entry) == ["time", "level", "logger", "message", "worker", "exception"]
    assert entry["message"] == "Listening at 127.0.0.1:1060" and entry["worker"] == 2
    assert entry["level"] == "INFO" and entry["time"].endswith("Z")
    assert "ValueError: boom" in entry["exception"]


def test_repeats_are_written_once_then_counted() -> None:
    out = io.StringIO()
    handler = CollapsingHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for _ in range(5):
        handler.emit(_record("Could not write %s", "history.db"))
    handler.emit(_record("Something else"))
    handler.emit(_record("Something else", level=logging.WARNING))  # another level: shown
    assert out.getvalue().splitlines() == [
        "Could not write history.db",
        "the last message repeated 4 times",
        "Something else",
        "Something else",
    ]


def test_a_long_run_of_repeats_is_counted_each_window() -> None:
    out = io.StringIO()
    handler = CollapsingHandler(out, window=0.0)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for _ in range(3):
        handler.emit(_record("again"))
    assert out.getvalue().splitlines() == ["again", "again", "again"]


def test_levels_per_area(restore_logging: None) -> None:
    setup(logging.INFO, json_format=True, areas=parse_levels(["chatroom.cluster=debug"]))
    out = io.StringIO()
    logging.getLogger().handlers[0].setStream(out)  # type: ignore[attr-defined]
    logging.getLogger("chatroom.cluster").debug("seen")
    logging.getLogger("chatroom.server").debug("not seen")
    logging.getLogger("chatroom.server").info("seen too")
    assert [json.loads(line)["message"] for line in out.getvalue().splitlines()] == [
        "seen",
        "seen too",
    ]


def test_level_specs() -> None:
    assert parse_levels(["debug", "chatroom.cluster=WARNING"]) == {
        "": logging.DEBUG,
        "chatroom.cluster": logging.WARNING,
    }
    for wrong in ("chatroom.cluster=loud", "=debug", "verbose"):
        with pytest.raises(ConfigError, match="must be AREA=LEVEL or LEVEL"):
            parse_levels([wrong])


def test_the_server_logs_json(server_factory: ServerFactory) -> None:
    server = server_factory("--no-web", "--log-format", "json", "--log", "chatroom.cluster=debug")
    first = json.loads(server.log.splitlines()[0])
    assert first["logger"].startswith("chatroom.") and first["level"] == "INFO"
    assert all(json.loads(line) for line in server.log.splitlines())
