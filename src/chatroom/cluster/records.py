"""The records the bridge keeps in Redis's ``{chatroom}:users`` and
``{chatroom}:members:*`` hashes: written short, read defensively (a bad record,
a bug's or an operator's, must cost one user, never the process).
"""

from __future__ import annotations

import json
import typing
from typing import Any

from chatroom.server.network.events import UserUp
from chatroom.server.network.view import RemoteUser


def as_text(value: bytes | str) -> str:
    """A key or value as Redis returned it (bytes: redis-py does not decode), as text."""
    return value.decode() if isinstance(value, bytes) else value


def user_record(up: UserUp, process: str) -> str:
    """The ``{chatroom}:users`` value for a user: short keys, and fields at their
    default (no account, not away, no modes, no TLS) left out, to stay small."""
    record: dict[str, Any] = {"n": up.nick, "s": up.source, "p": process, "r": up.realname}
    if up.account is not None:
        record["a"] = up.account
    if up.away is not None:
        record["w"] = up.away
    if up.modes:
        record["m"] = up.modes
    if up.signon:
        record["t"] = up.signon
    if up.secure:
        record["tls"] = 1
    return json.dumps(record, separators=(",", ":"))


def remote_user(record: Any) -> RemoteUser:
    """The :class:`RemoteUser` a ``{chatroom}:users`` record describes (a record
    written by an older process, with ``n``, ``s`` and ``p`` only, still reads);
    :class:`ValueError` if it is not such a record."""
    if not isinstance(record, dict):
        raise ValueError("not an object")
    signon = record.get("t", 0)
    if type(signon) is not int:
        raise ValueError("t must be an integer")
    return RemoteUser(
        nick=_field(record, "n"),
        source=_field(record, "s"),
        process=_field(record, "p"),
        realname=_field(record, "r", ""),
        account=_field(record, "a", None),
        away=_field(record, "w", None),
        modes=_field(record, "m", ""),
        signon=signon,
        secure=bool(record.get("tls", False)),
    )


_MISSING: Any = object()


@typing.overload
def _field(record: dict[str, Any], key: str, default: str = ...) -> str: ...
@typing.overload
def _field(record: dict[str, Any], key: str, default: None) -> str | None: ...
def _field(record: dict[str, Any], key: str, default: str | None = _MISSING) -> str | None:
    """The string at ``key`` (``default`` if absent; required without one)."""
    value = record.get(key, default)
    if value is _MISSING:
        raise ValueError(f"no {key}")
    if not (isinstance(value, str) or (value is None and default is None)):
        raise ValueError(f"{key} must be a string")
    return value


def membership(record: Any) -> tuple[str, str]:
    """``(status, process)`` from a ``{chatroom}:members:*`` record, or :class:`ValueError`."""
    if not isinstance(record, dict):
        raise ValueError("not an object")
    status, process = record.get("s"), record.get("p")
    if not isinstance(status, str) or not isinstance(process, str):
        raise ValueError("status and process must be strings")
    return status, process
