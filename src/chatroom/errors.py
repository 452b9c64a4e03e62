"""The one error tree of chatroom.

::

    ChatroomError
    ├── ProtocolError
    │   ├── LocalProtocolError      our bug: a line IRC cannot carry, a step out of order
    │   └── RemoteProtocolError     the peer sent something we cannot accept
    │       ├── MalformedLine       not an IRC line at all (no command, bad tags, NUL)
    │       ├── InputTooLong        over the line or tag length limit (ERR_INPUTTOOLONG)
    │       └── InvalidUtf8         the line is not valid UTF-8
    ├── ConfigError                 a configuration value is wrong; names the key
    ├── ControlError                (chatroom.transports.control) the control socket
    │                               cannot be used: no server, another user's socket
    └── StorageError                (chatroom.storage.errors) history and accounts
        ├── UnknownMessageError     a msgid anchor that is not in the conversation
        ├── StorageUnavailableError disk full, locked, I/O error ...
        │   ├── StorageCorruptError the database file is damaged or not ours
        │   └── StoreClosedError    used after close()
        ├── SchemaError             the file is from a newer chatroom
        └── BackupError             `chatroom backup` could not copy the data directory

A :class:`RemoteProtocolError` carries a *hint*: what the server should answer.
The connection stays up after any of them; the offending line is dropped.
"""

from __future__ import annotations


class ChatroomError(Exception):
    """Base class of every error chatroom raises on purpose."""


class ProtocolError(ChatroomError):
    """Something about the IRC protocol went wrong."""


class LocalProtocolError(ProtocolError):
    """The caller misused the protocol code (a bug on our side): it tried to build a line
    that IRC cannot carry, or a registration step the state table does not allow."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something we refuse.

    ``command`` is the command of the offending line when it could be read
    (``"*"`` otherwise), so the reply can name it.
    """

    def __init__(self, message: str, command: str = "*") -> None:
        super().__init__(message)
        self.command = command


class MalformedLine(RemoteProtocolError):
    """The line could not be parsed: empty command, broken tags or a NUL byte."""


class InputTooLong(RemoteProtocolError):
    """The line (or its tags) is longer than the limits allow."""


class InvalidUtf8(RemoteProtocolError):
    """The line is not valid UTF-8."""


class ConfigError(ChatroomError):
    """A configuration value is invalid. ``str()`` names the key and the problem."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config: {key}: {problem}")
        self.key = key
        self.problem = problem
