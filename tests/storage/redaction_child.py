"""Child process for test_sqlite_redaction: store a message, redact it, print its msgid
once the redaction returned (durable), then keep appending until killed.

Usage: ``python redaction_child.py DB_PATH``.
"""

from __future__ import annotations

import asyncio
import sys
from itertools import count

from chatroom.storage import MessageKind, StoredMessage, new_msgid, utc_now
from chatroom.storage.sqlite import SQLiteHistoryStore


def message(text: str) -> StoredMessage:
    return StoredMessage(new_msgid(), utc_now(), "#a", MessageKind.PRIVMSG, "alice!u@h", "#a", text)


async def main(path: str) -> None:
    store = await SQLiteHistoryStore.open(path)
    secret = message("the secret")
    done = asyncio.get_running_loop().create_future()
    store.append(secret, done.set_result)
    assert await done
    assert await store.redact("#a", secret.msgid, "alice!u@h", None)
    sys.stdout.write(f"{secret.msgid}\n")
    sys.stdout.flush()
    for n in count():  # busy with appends when the kill comes
        store.append(message(f"after {n}"))
        await asyncio.sleep(0)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
