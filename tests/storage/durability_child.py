"""Child process for test_sqlite_durability: append forever, print each msgid once durable.

Usage: ``python durability_child.py DB_PATH``. Messages go to several targets, as from many
senders at once; after every ``on_stored(True)`` the msgid and target are printed (and
flushed), so whatever the parent reads was acknowledged as durable before it was killed.
"""

from __future__ import annotations

import asyncio
import sys
from itertools import count

from chatroom.storage import MessageKind, StoredMessage, new_msgid, utc_now
from chatroom.storage.sqlite import SQLiteHistoryStore

TARGETS = ["#a", "#b", "#c", "alice,bob"]


async def main(path: str) -> None:
    store = await SQLiteHistoryStore.open(path)
    out = sys.stdout

    def printer(message: StoredMessage) -> None:
        def on_stored(ok: bool) -> None:
            if ok:
                out.write(f"{message.target} {message.msgid}\n")
                out.flush()

        store.append(message, on_stored)

    for n in count():
        for i in range(20):  # twenty senders' worth per loop iteration
            target = TARGETS[(n + i) % len(TARGETS)]
            printer(
                StoredMessage(
                    msgid=new_msgid(),
                    time=utc_now(),
                    target=target,
                    kind=MessageKind.PRIVMSG,
                    source=f"user{i}!u@host",
                    target_param=target,
                    text=f"message {n}.{i}",
                )
            )
        await asyncio.sleep(0)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
