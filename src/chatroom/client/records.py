"""Plain records the client protocol keeps per connection: the SASL exchange
under way, and the history requests and batches waiting for their end.

They hold data only; :mod:`~chatroom.client.accounts` and
:mod:`~chatroom.client.chathistory` give them meaning.
"""

from __future__ import annotations

import enum
import itertools
from collections import deque
from dataclasses import dataclass, field

from chatroom.client.scram import ScramClient
from chatroom.protocol import Line


@dataclass(slots=True)
class Exchange:
    """One SASL exchange in progress."""

    account: str
    password: str
    mechanism: str
    tried: list[str] = field(default_factory=list)  # mechanisms tried already
    scram: ScramClient | None = None
    step: int = 0  # server messages answered so far
    incoming: list[str] = field(default_factory=list)  # chunks of a long server message


class Purpose(enum.Enum):
    """Why history was asked for, which decides the event that reports it."""

    RECENT = "recent"  # on join, on opening a private chat, after reconnecting
    OLDER = "older"  # the user scrolled up or typed /history
    AROUND = "around"  # the user opened a search result (kept out of the buffer)


@dataclass(slots=True)
class Request:
    """One CHATHISTORY request waiting for its reply."""

    purpose: Purpose
    target: str
    subcommand: str
    anchor: str  # "*", "msgid=..." or "timestamp=..."
    limit: int
    label: str | None = None
    fallback: str | None = None  # the anchor by time, if the msgid is unknown


@dataclass(slots=True)
class OpenBatch:
    """A batch the server has opened and not closed yet."""

    kind: str
    params: tuple[str, ...]
    label: str | None
    lines: list[Line] = field(default_factory=list)
    opening: Line | None = None  # its BATCH + line (a multiline message's tags)

    @property
    def held(self) -> bool:
        """Whether its lines wait for the end of the batch (history and a multiline
        message do)."""
        return self.kind in ("chathistory", "soju.im/search", "draft/multiline")


@dataclass(frozen=True)
class UploadRequest:
    """``/upload``: one file to send to ``url`` (soju.im/FILEHOST) with the
    ``Authorization`` header ``authorization`` (``Bearer <token>``, or ``Basic …``
    from a server without EXTJWT; "" while its token is awaited), its link then sent
    to ``target`` (client/upload.py)."""

    url: str
    authorization: str
    path: str
    target: str


@dataclass
class UploadTokenState:
    """EXTJWT on one connection (client/upload.py): the token in hand and when it
    came (the protocol's clock), the pieces of one arriving, the uploads waiting for
    it, and whether one is asked for."""

    token: str = ""
    received: float = 0.0
    pieces: list[str] = field(default_factory=list)
    waiting: list[UploadRequest] = field(default_factory=list)
    asked: bool = False


class HistoryState:
    """The requests and batches of one connection (forgotten when it ends)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.batches: dict[str, OpenBatch] = {}
        self.searches: deque[tuple[str, bool]] = deque()  # SEARCHes sent: (text, quiet)
        self._labels = itertools.count(1)

    def next_label(self) -> str:
        return f"h{next(self._labels)}"
