"""The connect dialog's memory: where it lives, and that bad files do no harm."""

from __future__ import annotations

import json
from pathlib import Path

from chatroom.ui.tk.settings import (
    ConnectSettings,
    load_settings,
    parse_port,
    save_settings,
    settings_path,
)


def test_path_follows_xdg_config_home(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "HOME": "/home/x"}
    assert settings_path(env) == tmp_path / "chatroom" / "gui.json"


def test_path_defaults_to_dot_config_and_ignores_relative_xdg() -> None:
    assert settings_path({"HOME": "/home/x"}) == Path("/home/x/.config/chatroom/gui.json")
    relative = {"XDG_CONFIG_HOME": "rel", "HOME": "/home/x"}
    assert settings_path(relative) == Path("/home/x/.config/chatroom/gui.json")


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "chatroom" / "gui.json"
    save_settings(path, ConnectSettings("chat.example.org", 6667, "alice"))
    assert load_settings(path) == ConnectSettings("chat.example.org", 6667, "alice")
    assert json.loads(path.read_text())["nick"] == "alice"
    assert not path.with_name("gui.json.tmp").exists()


def test_missing_broken_or_foreign_files_give_defaults(tmp_path: Path) -> None:
    path = tmp_path / "gui.json"
    assert load_settings(path) == ConnectSettings()
    path.write_text("{not json")
    assert load_settings(path) == ConnectSettings()
    path.write_text("[1, 2]")
    assert load_settings(path) == ConnectSettings()
    path.write_text(json.dumps({"host": "", "port": 99999, "nick": 5}))
    assert load_settings(path) == ConnectSettings()
    path.write_text(json.dumps({"host": "h", "port": 7000}))
    assert load_settings(path) == ConnectSettings("h", 7000, "")


def test_parse_port() -> None:
    assert parse_port(" 1060 ") == 1060
    assert parse_port("0") is None
    assert parse_port("65536") is None
    assert parse_port("http") is None
    assert parse_port("") is None
