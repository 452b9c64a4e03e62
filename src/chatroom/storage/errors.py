"""Errors raised by the history store.

Every error the storage layer raises on purpose derives from :class:`StorageError`, a branch
of the project's one error tree (:mod:`chatroom.errors`), so a caller that only wants to keep
chat alive can catch that one class::

    ChatroomError
    └── StorageError                anything the storage layer raises on purpose
        ├── UnknownMessageError     a msgid anchor is not in this conversation's history
        │                           → reply ``FAIL CHATHISTORY INVALID_MSGREFTOKEN``
        ├── StorageUnavailableError the backend failed: disk full, locked, I/O error …
        │   │                       → reply ``FAIL CHATHISTORY MESSAGE_ERROR``
        │   ├── StorageCorruptError the database file is damaged or not a database
        │   └── StoreClosedError    the store was used after ``close()``
        ├── SchemaError             the file is newer than this program, or not ours
        └── BackupError             ``chatroom backup`` could not copy the data directory

Misuse of the API by the caller (a negative limit, a naive ``datetime``) raises the ordinary
``ValueError``/``TypeError`` instead: those are bugs to fix, not conditions to handle.

Writes never raise: ``append()`` reports failure through its ``on_stored(False)`` callback
(the server then tells the sender the message was not sent), and the store's ``writable``
says whether writes work now, so the rest of chat goes on when storage fails.

Each error's ``str()`` reads as a sentence an operator can act on.
"""

from __future__ import annotations

from chatroom.errors import ChatroomError

__all__ = [
    "BackupError",
    "SchemaError",
    "StorageCorruptError",
    "StorageError",
    "StorageUnavailableError",
    "StoreClosedError",
    "UnknownMessageError",
]


class StorageError(ChatroomError):
    """Base class of every error the storage layer raises on purpose."""


class UnknownMessageError(StorageError):
    """A ``msgid=`` anchor names no message in the queried conversation.

    A msgid that exists in *another* conversation is reported the same way, so a client cannot
    probe conversations it may not read. The server answers with
    ``FAIL CHATHISTORY INVALID_MSGREFTOKEN`` (IRCv3 chathistory, "Errors and Warnings").
    """

    def __init__(self, target: str, msgid: str) -> None:
        super().__init__(target, msgid)
        self.target = target
        self.msgid = msgid

    def __str__(self) -> str:
        return f"no message with msgid {self.msgid!r} in the history of {self.target!r}."


class StorageUnavailableError(StorageError):
    """The backend could not run the request (disk full, database locked, I/O error, …).

    The server answers a history request with ``FAIL CHATHISTORY MESSAGE_ERROR`` and keeps
    relaying live messages.
    """


class StorageCorruptError(StorageUnavailableError):
    """The database file is damaged, or is not a chatroom history database at all."""


class StoreClosedError(StorageUnavailableError):
    """The store was queried after ``close()``."""

    def __init__(self) -> None:
        super().__init__("the history store is closed.")


class SchemaError(StorageError):
    """The database file cannot be used with this version of chatroom.

    Raised when the file was written by a newer chatroom (its schema version is higher than
    any this program knows), or when a migration fails; the file is left unchanged.
    """


class BackupError(StorageError):
    """``chatroom backup`` could not make its copy; ``str()`` says why and what to do."""
