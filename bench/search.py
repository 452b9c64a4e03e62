"""Search latency over a large history, and what the search index costs writes (issue 19).

``python -m bench.search [--messages N]`` fills an SQLite history file in a temporary
directory through :class:`~chatroom.storage.sqlite.SQLiteHistoryStore` (its writer thread
and group commit, as the server uses it) and prints:

- **stored msgs/s** in three files: without the search index, with the FTS5 index kept
  behind the writes (as the server keeps it), and with it kept in the writing transaction
  (as schema version 3 did, for comparison), each as a share of the first; then how fast
  the background index catches up once the writes stop;
- **first page** latency (median and worst of ``--repeat`` runs, ms) of a few searches
  as a user in 20 of the 200 rooms would make them: a common word, a rare word, a word
  with a sender filter, a two-character text (no trigram: a scan), no text at all.

The messages: 200 rooms and 500 private conversations, 8 words each from a vocabulary of
2,000 made-up words, one message every 10 ms. Figures are wall-clock times on a shared
machine: read medians, not single runs.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chatroom.storage import MessageKind, Search, StoredMessage, dm_key
from chatroom.storage.sqlite import SQLiteHistoryStore

ROOMS = 200
PEOPLE = 100
CHUNK = 20_000  # messages appended before waiting for them to be stored
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _words(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(2000)]


def _messages(count: int, seed: int = 1) -> list[StoredMessage]:
    rng = random.Random(seed)
    vocabulary = _words(rng)
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf-like
    out: list[StoredMessage] = []
    for i in range(count):
        sender = f"user{rng.randrange(PEOPLE)}"
        if rng.random() < 0.9:
            target = f"#room{rng.randrange(ROOMS)}"
            param = target
        else:
            peer = f"user{rng.randrange(PEOPLE)}"
            target, param = dm_key(sender, peer), peer
        text = " ".join(rng.choices(vocabulary, weights, k=8))
        if i % 10_000 == 0:
            text += " zanzibarquux"  # the rare word
        out.append(
            StoredMessage(
                f"m{i:09d}",
                T0 + timedelta(milliseconds=10 * i),
                target,
                MessageKind.PRIVMSG,
                f"{sender}!~{sender}@host",
                param,
                text,
            )
        )
    return out


#: How the file of :func:`fill` is indexed for search.
MODES = ("none", "background", "synchronous")
# The search index as schema version 3 kept it, in the writing transaction: a trigger that
# tokenizes each row as it is inserted (and moves the mark, so the background indexer finds
# nothing left to do). What indexing cost writes before it moved behind them.
_SYNCHRONOUS = """CREATE TRIGGER bench_index_on_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
    UPDATE search_state SET mark = new.seq;
END"""


async def fill(path: Path, messages: list[StoredMessage], *, mode: str) -> tuple[float, float]:
    """Store *messages* in a new file at *path*, its search index kept as *mode* says (one
    of :data:`MODES`); return (stored messages per second, indexed messages per second
    after the writes: how fast the background index catches up, 0 for the other modes)."""
    store = await SQLiteHistoryStore.open(path)
    if mode != "background":
        await store.close()
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TRIGGER messages_fts_delete")
            conn.execute("DROP TRIGGER messages_fts_update")
            # A mark above every seq: the background indexer has nothing to do.
            conn.execute("UPDATE search_state SET mark = ?", (2**62,))
            if mode == "synchronous":
                conn.execute("UPDATE search_state SET mark = 0")
                conn.execute(_SYNCHRONOUS)
        store = await SQLiteHistoryStore.open(path)
    started = time.perf_counter()
    for at in range(0, len(messages), CHUNK):
        for message in messages[at : at + CHUNK]:
            store.append(message)
        await store.flush()
    stored = time.perf_counter() - started
    started = time.perf_counter()
    await store.catch_up_index()
    caught_up = time.perf_counter() - started
    await store.close()
    indexed = len(messages) / caught_up if mode == "background" and caught_up > 0 else 0.0
    return len(messages) / stored, indexed


async def first_pages(path: Path, repeat: int) -> dict[str, tuple[float, float, int]]:
    """Each search's first page: (median ms, worst ms, lines found)."""
    rooms = tuple(f"#room{i}" for i in range(0, ROOMS, ROOMS // 20))
    searches = {
        "common word": Search("", 50, rooms, "user7"),
        "rare word": Search("zanzibarquux", 50, rooms, "user7"),
        "word + from": Search("", 50, rooms, "user7", sender="user3"),
        "2 characters": Search("qz", 50, rooms, "user7"),
        "no text": Search("", 50, rooms, "user7"),
    }
    store = await SQLiteHistoryStore.open(path)
    try:
        common = (await store.latest("#room0", 1))[0].text.split()[0]
        searches["common word"] = Search(common, 50, rooms, "user7")
        searches["word + from"] = Search(common, 50, rooms, "user7", sender="user3")
        results: dict[str, tuple[float, float, int]] = {}
        for name, query in searches.items():
            times: list[float] = []
            found = 0
            for _ in range(repeat):
                started = time.perf_counter()
                found = len(await store.search(query))
                times.append((time.perf_counter() - started) * 1000)
            results[f"{name} ({query.text or '-'})"] = (
                statistics.median(times),
                max(times),
                found,
            )
        return results
    finally:
        await store.close()


async def run(count: int, repeat: int, rounds: int = 1) -> None:
    messages = _messages(count)
    with tempfile.TemporaryDirectory(prefix="chatroom-bench-search-") as tmp:
        # Each round fills a fresh file per mode, the order reversed every other round, so
        # the machine's other load falls on every mode alike; medians over the rounds.
        stored: dict[str, list[float]] = {mode: [] for mode in MODES}
        caught_up: list[float] = []
        for round_ in range(rounds):
            for mode in MODES if round_ % 2 == 0 else MODES[::-1]:
                path = Path(tmp) / f"{mode}.db"
                for leftover in Path(tmp).glob(f"{mode}.db*"):
                    leftover.unlink()
                rate, indexed = await fill(path, messages, mode=mode)
                stored[mode].append(rate)
                caught_up += [indexed] if mode == "background" else []
        plain = statistics.median(stored["none"])
        print(f"{count:,} messages stored, {rounds} round(s), medians; each round's ratio:")
        print(f"  stored msgs/s without the index:        {plain:,.0f}")
        for mode, label in (
            ("background", "indexed behind the writes"),
            ("synchronous", "indexed as they are written"),
        ):
            rate = statistics.median(stored[mode])
            each = " ".join(
                f"{r / p:.0%}" for r, p in zip(stored[mode], stored["none"], strict=True)
            )
            print(f"  stored msgs/s {label + ':':<28}{rate:,.0f} ({rate / plain:.0%}; {each})")
        print(f"  then indexed in the background, msgs/s: {statistics.median(caught_up):,.0f}")
        print(f"first page (limit 50), {repeat} runs each: median / worst ms, lines")
        for name, (median, worst, found) in (
            await first_pages(Path(tmp) / "background.db", repeat)
        ).items():
            print(f"  {name:<34} {median:8.1f} {worst:8.1f} {found:4d}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=1, help="fills of each file, alternated")
    args = parser.parse_args(argv)
    asyncio.run(run(args.messages, args.repeat, args.rounds))


if __name__ == "__main__":
    main()
