"""Message history: what the server stores, and how CHATHISTORY reads it back.

The server core depends on the :class:`HistoryStore` protocol only (STYLE.md rule 6):

* at startup ``store = await open_history(data_dir)`` (SQLite, the default; data_dir from
  ``--data-dir`` or :func:`default_data_dir`), or ``MemoryHistoryStore()`` when history is off;
  or ``history, accounts = await open_stores(database_url, data_dir)``, which opens both
  stores in SQLite files or, for a ``postgresql://`` URL, in a PostgreSQL database shared by
  every server process (:mod:`chatroom.storage.open`);
* for each PRIVMSG/NOTICE/TAGMSG: stamp it (``new_msgid()``, ``utc_now()``), build a
  :class:`StoredMessage` under its conversation key (casefolded channel, or
  :func:`dm_key` of the two casefolded nicks), ``store.append(message, on_stored)``, and relay
  when ``on_stored`` runs, whatever its argument;
* for CHATHISTORY: ``await store.query(Latest(...)/Before/After/Around/Between)`` or
  ``await store.targets(...)``; :class:`UnknownMessageError` → ``FAIL CHATHISTORY
  INVALID_MSGREFTOKEN``, :class:`StorageUnavailableError` → ``FAIL CHATHISTORY MESSAGE_ERROR``;
* a :func:`run_retention` task, ``purge`` for operators, and ``await store.close()`` last
  at shutdown.
"""

from .base import (
    HISTORY_FILENAME,
    After,
    Anchor,
    Around,
    Before,
    Between,
    HistoryQuery,
    HistoryStore,
    Latest,
    MessageKind,
    MsgidAnchor,
    OnStored,
    StoredMessage,
    TargetActivity,
    TimeAnchor,
    default_data_dir,
    dm_key,
    dm_peer,
    dm_peers,
    from_ms,
    is_dm_key,
    new_msgid,
    to_ms,
    utc_now,
)
from .errors import (
    SchemaError,
    StorageCorruptError,
    StorageError,
    StorageUnavailableError,
    StoreClosedError,
    UnknownMessageError,
)
from .measure import measure_throughput
from .memory import MemoryHistoryStore
from .open import is_postgres_url, open_stores
from .retention import RetentionPolicy, run_retention
from .sqlite import SQLiteHistoryStore, open_history

__all__ = [
    "HISTORY_FILENAME",
    "After",
    "Anchor",
    "Around",
    "Before",
    "Between",
    "HistoryQuery",
    "HistoryStore",
    "Latest",
    "MemoryHistoryStore",
    "MessageKind",
    "MsgidAnchor",
    "OnStored",
    "RetentionPolicy",
    "SQLiteHistoryStore",
    "SchemaError",
    "StorageCorruptError",
    "StorageError",
    "StorageUnavailableError",
    "StoreClosedError",
    "StoredMessage",
    "TargetActivity",
    "TimeAnchor",
    "UnknownMessageError",
    "default_data_dir",
    "dm_key",
    "dm_peer",
    "dm_peers",
    "from_ms",
    "is_dm_key",
    "is_postgres_url",
    "measure_throughput",
    "new_msgid",
    "open_history",
    "open_stores",
    "run_retention",
    "to_ms",
    "utc_now",
]
