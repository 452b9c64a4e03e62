"""The durability promise (DESIGN.md "Durability"): kill -9 loses nothing acknowledged.

A real child process appends to a real SQLite file and prints each msgid once
``on_stored(True)`` has fired; we SIGKILL it mid-stream, reopen the file, and check every
acknowledged message is there exactly once, in order within its conversation.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from chatroom.storage import Search
from chatroom.storage.sqlite import SQLiteHistoryStore
from support.timeouts import TIMEOUT

CHILD = Path(__file__).with_name("durability_child.py")


def run_and_kill(path: Path, acknowledged: int) -> list[tuple[str, str]]:
    """Run the child until it acknowledged *acknowledged* messages, SIGKILL it, return
    every (target, msgid) it printed, in order."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    lines: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while len(lines) < acknowledged and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(TIMEOUT)
        # Read through the buffered file objects: communicate() would read the raw pipes and
        # skip what readline() already buffered.
        rest, errors = child.stdout.read(), child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL, errors.decode(errors="replace")
    assert len(lines) >= acknowledged, errors.decode(errors="replace")
    # Lines printed before the kill sit in the pipe; a torn last line was never acknowledged.
    lines += rest.splitlines(keepends=True)
    complete = [line.decode() for line in lines if line.endswith(b"\n")]
    return [(target, msgid) for target, msgid in (line.split() for line in complete)]


async def test_kill_9_loses_no_acknowledged_message(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    printed = run_and_kill(path, acknowledged=4000)
    assert len(printed) >= 4000

    store = await SQLiteHistoryStore.open(path)
    try:
        expected: dict[str, list[str]] = defaultdict(list)
        for target, msgid in printed:
            expected[target].append(msgid)
        for target, msgids in expected.items():
            stored = [m.msgid for m in await store.latest(target, 10**9)]
            assert not [m for m, n in Counter(stored).items() if n > 1], "duplicates"
            acknowledged = set(msgids)
            # Every acknowledged message is there, in the order it was acknowledged; the store
            # may hold a few more (committed, but killed before the acknowledgement printed).
            assert [m for m in stored if m in acknowledged] == msgids
    finally:
        await store.close()


async def test_kill_9_while_indexing_leaves_every_acknowledged_message_findable(
    tmp_path: Path,
) -> None:
    # The child's writer indexes between its batches: a kill lands mid-index as often as not.
    path = tmp_path / "history.db"
    printed = run_and_kill(path, acknowledged=3000)
    conn = sqlite3.connect(path, isolation_level=None)
    (mark,) = conn.execute("SELECT mark FROM search_state").fetchone()
    assert mark <= conn.execute("SELECT max(seq) FROM messages").fetchone()[0]
    store = await SQLiteHistoryStore.open(path)
    try:
        texts = dict(conn.execute("SELECT msgid, text FROM messages"))
        for target, msgid in printed[:: len(printed) // 40]:  # before and after the mark
            query = Search(texts[msgid], 10**6, (target,), dms_of="alice")
            assert msgid in {m.msgid for m in await store.search(query)}
        await store.catch_up_index()
        conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        await store.close()
        conn.close()
