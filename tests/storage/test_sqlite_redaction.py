"""Redactions survive a restart and a kill -9 exactly as messages do (issue 18),
over a real SQLite file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from chatroom.storage import Latest, MessageKind
from chatroom.storage.sqlite import SQLiteHistoryStore
from support.history import msg, store_all
from support.timeouts import TIMEOUT

CHILD = Path(__file__).with_name("redaction_child.py")


async def test_a_redaction_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    store = await SQLiteHistoryStore.open(path)
    keep, gone = msg(ms=0, text="keep"), msg(ms=1000, text="the secret")
    assert all(await store_all(store, [keep, gone]))
    assert await store.redact("#chan", gone.msgid, "op!o@h", "op")
    await store.close()

    store = await SQLiteHistoryStore.open(path)
    try:
        tomb = await store.message("#chan", gone.msgid)
        assert tomb is not None
        assert (tomb.kind, tomb.text, tomb.source) == (MessageKind.REDACT, "", "op!o@h")
        assert [m.text for m in await store.query(Latest("#chan", 10))] == ["keep"]
    finally:
        await store.close()


async def test_an_acknowledged_redaction_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stderr is not None
    try:
        msgid = child.stdout.readline().decode().strip()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert msgid, child.stderr.read().decode(errors="replace")

    store = await SQLiteHistoryStore.open(path)
    try:
        tomb = await store.message("#a", msgid)
        assert tomb is not None and tomb.kind is MessageKind.REDACT and tomb.text == ""
    finally:
        await store.close()
