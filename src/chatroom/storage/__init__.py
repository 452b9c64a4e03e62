"""Message history: what the server stores, and how CHATHISTORY reads it back.

This package exports the interfaces; the server core depends on the :class:`HistoryStore`
protocol only (docs/architecture.md, rule 6). The backends are modules of their own, which
only the composition (serve.py) and tests import, so importing the interfaces loads no
database driver:

* at startup ``history, accounts = await open_stores(database_url, data_dir)``
  (:mod:`chatroom.storage.open`) opens both stores in SQLite files (the default; data_dir from
  ``--data-dir`` or :func:`default_data_dir`) or, for a ``postgresql://`` URL, in a PostgreSQL
  database shared by every server process; ``MemoryHistoryStore()``
  (:mod:`chatroom.storage.memory`) when history is off;
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
    Search,
    StoredMessage,
    TargetActivity,
    TimeAnchor,
    default_data_dir,
    from_ms,
    new_msgid,
    to_ms,
    utc_now,
)
from .conversations import dm_key, dm_peer, dm_peers, is_dm_key
from .errors import (
    SchemaError,
    StorageCorruptError,
    StorageError,
    StorageUnavailableError,
    StoreClosedError,
    UnknownMessageError,
)
from .measure import measure_throughput
from .retention import RetentionPolicy, run_retention

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
    "MessageKind",
    "MsgidAnchor",
    "OnStored",
    "RetentionPolicy",
    "SchemaError",
    "Search",
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
    "measure_throughput",
    "new_msgid",
    "run_retention",
    "to_ms",
    "utc_now",
]
