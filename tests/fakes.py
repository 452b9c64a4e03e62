"""Fakes shared by unit tests of the core."""

from __future__ import annotations


class FakeTransport:
    """Records writes; satisfies the core's Transport protocol."""

    def __init__(self) -> None:
        self.data = b""
        self.closed = False
        self.paused = False

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def get_write_buffer_size(self) -> int:
        return 0
