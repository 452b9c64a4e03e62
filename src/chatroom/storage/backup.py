"""``chatroom backup``: a consistent copy of the SQLite data directory, taken while the
server runs.

Each database (``history.db``, ``accounts.db``) is copied with SQLite's online backup
API (https://sqlite.org/backup.html), in one step: the copy is the database as it was
at one instant, with every transaction committed by then and none after, however
busy the server is. The server's files are in WAL mode, so it keeps writing while
the copy is read. (The two files are copied one after the other, each consistent in
itself; nothing in one refers to the other.) A copy of the files with ``cp`` is not
a backup: it can catch a database halfway through a write, and misses what is still
in the ``-wal`` file.

Restoring is copying the files back into a data directory while no server uses it
(docs/deploy.md). PostgreSQL is backed up with its own tool, ``pg_dump``.

Usage::

    copied = backup_data_dir(data_dir, dest)   # raises BackupError with a sentence
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from .accounts import ACCOUNTS_FILENAME
from .base import HISTORY_FILENAME
from .errors import BackupError

__all__ = ["DATABASES", "KEY_FILES", "BackupError", "backup_data_dir"]

DATABASES = (HISTORY_FILENAME, ACCOUNTS_FILENAME)
"""The SQLite files of a data directory, copied with the backup API."""

KEY_FILES = ("tls-cert.pem", "tls-key.pem")
"""The self-signed certificate made by ``--tls``: copied as they are (they never change),
so that clients that trust its fingerprint still do after a restore. (The names of
:mod:`chatroom.transports.tls`, which storage may not import; a test keeps them equal.)"""

BUSY_TIMEOUT = 30.0
"""Seconds to wait for a lock the server holds (a checkpoint) before giving up."""


def backup_data_dir(data_dir: Path, dest: Path) -> list[Path]:
    """Copy the databases of ``data_dir`` (and the self-signed TLS pair, if any) into the
    new directory ``dest``; return the files written.

    ``dest`` must not exist: a backup never overwrites anything. It is created with
    owner-only permissions (the accounts hold password hashes). On failure, what was
    written is removed and :class:`BackupError` is raised.
    """
    found = [data_dir / name for name in DATABASES if (data_dir / name).is_file()]
    if not found:
        raise BackupError(
            f"there is nothing to back up in {data_dir}: no {' or '.join(DATABASES)} "
            "(is this the server's --data-dir?)"
        )
    if dest.exists() or dest.is_symlink():
        raise BackupError(f"{dest} already exists; give a new name, a backup never overwrites")
    try:
        dest.mkdir(mode=0o700, parents=True)
    except OSError as exc:
        raise BackupError(f"cannot create {dest}: {exc.strerror or exc}") from None
    written: list[Path] = []
    try:
        for source in found:
            target = dest / source.name
            _copy_database(source, target)
            written.append(target)
        for name in KEY_FILES:
            if (data_dir / name).is_file():
                written.append(Path(shutil.copy2(data_dir / name, dest / name)))
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return written


def _copy_database(source: Path, target: Path) -> None:
    """One database, copied in a single step of the backup API (one read transaction:
    a snapshot), into a new file that is then checked."""
    try:
        # Read-only: the backup never changes the server's file. (An open connection
        # reads the -wal file, so committed writes still there are in the copy.)
        src = sqlite3.connect(
            f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT
        )
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst, pages=-1)
                (result,) = dst.execute("PRAGMA quick_check").fetchone()
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {source}: {exc}") from None
    if result != "ok":
        raise BackupError(f"the copy of {source} does not check out ({result}); try again")
    target.chmod(0o600)
