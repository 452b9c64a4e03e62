"""What a :class:`~chatroom.server.session.Session` talks to: its connection (a
:class:`Transport`, which an asyncio transport satisfies as is) and the server it
belongs to (a :class:`Host`). Kept apart so a session can be driven by fakes in tests
and by the real server alike, and neither side imports the other's module.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import asyncio

    from chatroom.protocol.line import Line
    from chatroom.server.config import Config
    from chatroom.server.metrics import Metrics


class Transport(Protocol):
    """What the core needs from a connection. ``asyncio.Transport`` satisfies it."""

    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...
    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def get_write_buffer_size(self) -> int: ...


S = TypeVar("S", contravariant=True)
"""The session type (a parameter, so this module need not import the session's)."""


class Host(Protocol[S]):
    """What a session needs of the server it belongs to (:class:`~chatroom.server.server.Server`
    is one): its configuration, its clock and timers, and where lines go."""

    @property
    def config(self) -> Config: ...
    @property
    def metrics(self) -> Metrics: ...
    def now(self) -> float: ...
    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle: ...
    def spawn(self, coro: Coroutine[Any, Any, None]) -> None: ...
    def dispatch(self, session: S, line: Line) -> None: ...
    def mark_dirty(self, session: S) -> None: ...
    def user_mode_changed(self, mode: str, on: bool) -> None: ...
    def disconnect(
        self, session: S, reason: str, *, error: str | None = None, abort: bool = False
    ) -> None: ...
