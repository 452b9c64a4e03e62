"""The database seam: one call that opens history and accounts wherever the operator keeps them.

The server chooses its storage with one setting, the database URL (the future
``--database`` option; see docs/scale-out.md):

* none (the default): SQLite files ``history.db`` and ``accounts.db`` in the data directory,
  for a single server process;
* ``postgresql://user:password@host:port/database`` (or ``postgres://``): both stores in
  that PostgreSQL database, which any number of server processes may share. Extra query
  parameters are passed on to asyncpg: ``sslmode=require``, or ``host=/run/postgresql`` for a
  Unix socket; any other parameter becomes a server setting (``search_path=chat`` keeps the
  tables in a schema of their own).

Usage, at server startup::

    history, accounts = await open_stores(config.database_url, data_dir, nick_length=30)
    ...
    await history.close()
    await accounts.close()
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from chatroom.storage.passwords import Passwords

from .accounts import AccountStore
from .accounts_sqlite import open_accounts
from .base import HistoryStore
from .sqlite import open_history

__all__ = ["POSTGRES_SCHEMES", "is_postgres_url", "open_stores"]

#: URL schemes that select the PostgreSQL backends.
POSTGRES_SCHEMES = ("postgresql", "postgres")


def is_postgres_url(database_url: str | None) -> bool:
    """True if *database_url* selects the PostgreSQL backends.

    Raises ``ValueError`` for a URL of any other kind (there is no other database server
    backend), so a typing mistake is reported instead of silently using SQLite.
    """
    if not database_url:
        return False
    if urlsplit(database_url).scheme in POSTGRES_SCHEMES:
        return True
    from .postgres_db import redact  # not at the top: it loads the PostgreSQL driver

    raise ValueError(
        f"unsupported database URL {redact(database_url)!r}: use postgresql://user:password@"
        "host:port/database, or no URL for SQLite files in the data directory."
    )


async def open_stores(
    database_url: str | None,
    data_dir: Path | str | None = None,
    *,
    nick_length: int = 32,
    passwords: Passwords | None = None,
) -> tuple[HistoryStore, AccountStore]:
    """Open the history store and the account store; return ``(history, accounts)``.

    With *database_url* None (or empty) both are SQLite files in *data_dir* (default
    :func:`~chatroom.storage.base.default_data_dir`); with a ``postgresql://`` URL both live
    in that database (*data_dir* is then unused). *nick_length* bounds account names and
    *passwords* sets the hashing cost (tests pass a cheap one), as for
    :class:`~chatroom.storage.accounts_base.AccountStoreBase`.

    The caller owns both stores and must ``await close()`` each. If the second cannot be
    opened, the first is closed before the error propagates. Raises ``ValueError`` for an
    unsupported URL, :class:`~chatroom.storage.errors.SchemaError` or
    :class:`~chatroom.storage.errors.StorageUnavailableError` (with the password of the URL
    left out of the message) when a store cannot be opened.
    """
    history: HistoryStore
    accounts: AccountStore
    if is_postgres_url(database_url):
        assert database_url is not None
        # Imported here: a server on SQLite never loads the PostgreSQL driver.
        from .accounts_postgres import PostgresAccountStore
        from .postgres import PostgresHistoryStore

        history = await PostgresHistoryStore.open(database_url)
        try:
            accounts = await PostgresAccountStore.open(
                database_url, nick_length=nick_length, passwords=passwords
            )
        except BaseException:
            await history.close()
            raise
        return history, accounts
    history = await open_history(data_dir)
    try:
        accounts = await open_accounts(data_dir, nick_length=nick_length, passwords=passwords)
    except BaseException:
        await history.close()
        raise
    return history, accounts
