"""``chatroom backup`` against a running server under traffic, and a restore from it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import irctokens

from support.irc_client import IrcClient
from support.server import ServerFactory
from support.timeouts import TIMEOUT, eventually

CAPS = "batch server-time message-tags draft/chathistory"


def chathistory(client: IrcClient, *args: str) -> list[irctokens.Line]:
    """One CHATHISTORY request: the messages of its batch."""
    client.send("CHATHISTORY " + " ".join(args))
    start = client.expect("BATCH", lambda line: line.params[0].startswith("+"))
    ref = start.params[0][1:]
    return client.until("BATCH", lambda line: line.params == [f"-{ref}"])[:-1]


def whole_history(client: IrcClient, target: str) -> list[tuple[str, str, str]]:
    """Every message of ``target``, oldest first, as (msgid, time, text), paging back."""
    found: list[tuple[str, str, str]] = []
    page = chathistory(client, "LATEST", target, "*", "100")
    while page:
        found[:0] = [(m.tags["msgid"], m.tags["time"], m.params[1]) for m in page]  # type: ignore[index]
        page = chathistory(client, "BEFORE", target, f"msgid={found[0][0]}", "100")
    return found


def backup(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatroom", "backup", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 4,
        check=False,
    )


def test_backup_under_traffic_restores_the_same_history(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    data = tmp_path / "live"
    live = server_factory("--no-flood-control", "--data-dir", str(data))
    talker = IrcClient(live.port).register("talker")
    talker.join("#lobby")
    reader = IrcClient(live.port).register("reader", CAPS)
    reader.join("#lobby")  # history is for members
    for i in range(150):
        talker.send(f"PRIVMSG #lobby :before {i}")
    eventually(
        lambda: len(whole_history(reader, "#lobby")) == 150,
        lambda: whole_history(reader, "#lobby")[-3:],
    )

    stop = threading.Event()

    def talk() -> None:  # keeps writing while the backup runs
        i = 0
        while not stop.is_set():
            talker.send(f"PRIVMSG #lobby :during {i}")
            i += 1
            stop.wait(0.002)

    thread = threading.Thread(target=talk)
    thread.start()
    try:
        done = backup("--data-dir", str(data), str(tmp_path / "copy"))
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert "Copied" in done.stdout and "history.db" in done.stdout
    original = whole_history(reader, "#lobby")
    live.stop()

    # Restore as docs/deploy.md says: the backup's files into the (new) data directory.
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    for name in ("history.db", "accounts.db"):
        shutil.copy2(tmp_path / "copy" / name, restored_dir / name)
    restored = server_factory("--no-flood-control", "--data-dir", str(restored_dir))
    reader = IrcClient(restored.port).register("reader", CAPS)
    reader.join("#lobby")
    copy = whole_history(reader, "#lobby")
    # A snapshot: everything stored before the backup, then an unbroken run of what
    # followed, each message with its original msgid and time.
    assert len(copy) >= 150
    assert copy == original[: len(copy)]
    assert [text for _, _, text in copy[:150]] == [f"before {i}" for i in range(150)]


def test_backup_refuses_an_existing_destination(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.db").write_bytes(b"")
    (tmp_path / "copy").mkdir()
    done = backup("--data-dir", str(data), str(tmp_path / "copy"))
    assert done.returncode == 1
    assert "already exists; give a new name, a backup never overwrites" in done.stderr
    assert "Traceback" not in done.stderr


def test_backup_points_postgresql_users_to_pg_dump(tmp_path: Path) -> None:
    config = tmp_path / "chat.toml"
    config.write_text('[database]\nurl = "postgresql://chat@127.0.0.1/chat"\n')
    done = backup("--config", str(config), str(tmp_path / "copy"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "pg_dump" in done.stderr
    assert not (tmp_path / "copy").exists()


def test_backup_is_in_the_help() -> None:
    top = subprocess.run(
        [sys.executable, "-m", "chatroom", "--help"], capture_output=True, text=True, check=True
    )
    assert "backup" in top.stdout
    assert "consistent even while the server" in backup("--help").stdout
