"""Shared files: where uploads are kept, the limits on them, and how they are served.

Rules this module keeps (issue 19):

- A file's name is 128 random bits (``secrets.token_urlsafe(16)``), never the name
  the uploader gave: nobody can guess another's file or reach a path of ours.
- A file is written to a hidden temporary name, flushed to disk, then renamed: a
  full disk (or any write error) leaves nothing half-written behind, and the
  upload is refused with 507.
- Size (:attr:`FileLimits.max_size`), a per-account quota and a per-account rate
  are checked before anything is written. Usage is counted from the files on
  disk, so a restart keeps it.
- The type is sniffed from the first bytes, not taken from the request. Only the
  image types a browser shows inline (PNG, JPEG, GIF, WebP) are served inline;
  everything else, HTML and SVG included, is ``application/octet-stream`` as an
  attachment. Every file is served with ``X-Content-Type-Options: nosniff`` and a
  CSP with ``sandbox``, so even a file a browser did render could run no script
  on the chat's origin.
- Images get a thumbnail made by Pillow (at most :data:`THUMB_SIZE` pixels a
  side, PNG): the page shows it, not the original.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

THUMB_SIZE = 320
"""Largest side of a thumbnail, in pixels."""

MAX_PIXELS = 40_000_000
"""An image with more pixels gets no thumbnail (a decompression bomb costs nothing)."""

NAME = re.compile(r"^[A-Za-z0-9_-]{22}$")
"""What :func:`secrets.token_urlsafe` (16 bytes) makes: the only names we serve."""

INLINE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}

FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
"""The CSP of a served file: nothing loads, nothing runs (``sandbox`` gives it a
unique origin even if a browser renders it)."""


class UploadRefused(Exception):
    """An upload we will not keep; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class FileLimits:
    """Limits on uploads (``[files]`` in the configuration)."""

    max_size: int = 25 * 1024 * 1024
    quota: int = 500 * 1024 * 1024
    per_minute: int = 10


@dataclass(frozen=True)
class StoredFile:
    """One kept file: its random name and what we know of it."""

    name: str
    account: str
    filename: str
    content_type: str
    size: int
    created: float
    thumbnail: bool


def sniff(head: bytes) -> str:
    """The type we serve a file as, from its first bytes (never from the request)."""
    for magic, kind in INLINE_TYPES.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def safe_filename(name: str) -> str:
    """The uploader's file name, reduced to ASCII letters, digits and ``._- `` (what
    may go in a quoted Content-Disposition filename unescaped)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch for ch in base if ch.isascii() and (ch.isalnum() or ch in "._- "))[
        :100
    ].strip(". ")
    return kept or "file"


class FileStore:
    """The files of one server in ``directory`` (created if missing)."""

    def __init__(
        self,
        directory: Path,
        limits: FileLimits = FileLimits(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.limits = limits
        self.clock = clock
        directory.mkdir(parents=True, exist_ok=True)
        self._recent: dict[str, deque[float]] = {}
        self._usage: dict[str, int] = {}
        for meta in directory.glob("*.json"):  # usage survives a restart
            found = self.get(meta.stem)
            if found is not None:
                self._usage[found.account] = self._usage.get(found.account, 0) + found.size
        for stale in directory.glob(".tmp-*"):  # a write cut short by a crash
            stale.unlink(missing_ok=True)

    def usage(self, account: str) -> int:
        """Bytes ``account`` keeps here now."""
        return self._usage.get(account, 0)

    def check(self, account: str, size: int) -> None:
        """Raise :class:`UploadRefused` unless ``account`` may upload ``size`` bytes now.

        Called before the body is read, with the announced Content-Length."""
        if size > self.limits.max_size:
            raise UploadRefused(413, f"Files may be at most {self.limits.max_size} bytes.")
        if self.usage(account) + size > self.limits.quota:
            raise UploadRefused(413, "This account's storage quota is used up.")
        now = self.clock()
        recent = self._recent.setdefault(account, deque())
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= self.limits.per_minute:
            raise UploadRefused(429, "Too many uploads; wait a minute.")

    def save(self, account: str, body: bytes, filename: str = "") -> StoredFile:
        """Keep ``body`` for ``account``; raise :class:`UploadRefused` on a limit or a
        write error (nothing is left on disk then)."""
        self.check(account, len(body))
        self._recent.setdefault(account, deque()).append(self.clock())
        name = secrets.token_urlsafe(16)
        kind = sniff(body[:16])
        thumb = _thumbnail(body) if kind != "application/octet-stream" else None
        stored = StoredFile(
            name, account, safe_filename(filename), kind, len(body), self.clock(), thumb is not None
        )
        meta = json.dumps(stored.__dict__).encode()
        parts = [(name, body), (name + ".json", meta)]
        if thumb is not None:
            parts.insert(1, (name + ".thumb", thumb))
        written: list[Path] = []
        try:
            for part, data in parts:  # the .json last: a file counts once it is there
                written.append(self._write(part, data))
        except OSError as exc:
            for path in written:
                path.unlink(missing_ok=True)
            raise UploadRefused(507, "The server could not store the file.") from exc
        self._usage[account] = self.usage(account) + len(body)
        return stored

    def _write(self, name: str, data: bytes) -> Path:
        """Write ``data`` to a temporary file, flush it, rename it to ``name``."""
        temp = self.directory / f".tmp-{secrets.token_hex(8)}"
        final = self.directory / name
        try:
            with open(temp, "xb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, final)
        except OSError:
            temp.unlink(missing_ok=True)
            raise
        return final

    def get(self, name: str) -> StoredFile | None:
        """The file called ``name``, or None (a name we could not have made included)."""
        if not NAME.match(name):
            return None
        try:
            data = json.loads((self.directory / (name + ".json")).read_bytes())
            return StoredFile(**data)
        except (OSError, ValueError, TypeError):
            return None

    def read(self, name: str, thumbnail: bool = False) -> bytes | None:
        """The bytes of file ``name`` (or of its thumbnail), None when it is gone."""
        if self.get(name) is None:
            return None
        try:
            return (self.directory / (name + (".thumb" if thumbnail else ""))).read_bytes()
        except OSError:
            return None

    def expire(self, max_age: float) -> int:
        """Delete the files older than ``max_age`` seconds (retention); return how many."""
        cutoff = self.clock() - max_age
        removed = 0
        for meta in list(self.directory.glob("*.json")):
            found = self.get(meta.stem)
            if found is None or found.created >= cutoff:
                continue
            meta.unlink(missing_ok=True)  # first: without it the file is not served
            for suffix in ("", ".thumb"):
                (self.directory / (found.name + suffix)).unlink(missing_ok=True)
            self._usage[found.account] = max(0, self.usage(found.account) - found.size)
            removed += 1
        return removed


def _thumbnail(body: bytes) -> bytes | None:
    """A PNG at most :data:`THUMB_SIZE` a side, or None if Pillow cannot read it."""
    # Pillow is imported at the first image upload: it costs 3 MB and 70 ms at start.
    from PIL import Image

    try:
        with Image.open(io.BytesIO(body)) as image:
            if image.width * image.height > MAX_PIXELS:
                return None
            image.thumbnail((THUMB_SIZE, THUMB_SIZE))
            out = io.BytesIO()
            converted = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image
            converted.save(out, "PNG")
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def file_headers(stored: StoredFile, thumbnail: bool = False) -> dict[str, str]:
    """The headers a served file carries (besides the page's security headers)."""
    kind = "image/png" if thumbnail else stored.content_type
    disposition = "inline" if kind.startswith("image/") else "attachment"
    return {
        "Content-Type": kind,
        "Content-Disposition": f'{disposition}; filename="{stored.filename}"',
        "Content-Security-Policy": FILE_CSP,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=86400, immutable",
    }
