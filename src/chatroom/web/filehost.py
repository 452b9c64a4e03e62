"""The file host's set-up and upkeep (https://soju.im/specs/filehost): where files go,
the URL advertised as ``soju.im/FILEHOST``, the history's retention applied to them.

No HTTP here, so no websockets: this runs when the server starts, while the web port's
requests (:mod:`chatroom.web.upload`) are served by machinery loaded at its first
connection (:mod:`chatroom.web.port`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from chatroom.server.server import Server
from chatroom.server.tokens import UploadTokens
from chatroom.storage import default_data_dir
from chatroom.storage.accounts import AccountStore
from chatroom.web.files import FileLimits, FileStore

log = logging.getLogger("chatroom.server")

UPLOAD_PATH = "/upload"
FILES_PATH = "/files/"


@dataclass
class Uploads:
    """What an upload needs: where files go, who may upload, how URLs look."""

    files: FileStore
    accounts: AccountStore | None
    secure: bool = False
    public_base: str = ""  # "https://chat.example" to build Location; "" = the Host header
    max_age: float = 0.0  # seconds a file is kept (the history's retention); 0 = for ever
    tokens: UploadTokens | None = None  # EXTJWT tokens of connected sessions (Bearer)
    guests: bool = False  # a token of a session without an account may upload


def uploads_for(server: Server, *, secure: bool) -> Uploads | None:
    """The uploads of ``server`` by its ``[files]`` configuration; None when off, or
    when there are no accounts and guests may not upload (no one could)."""
    config = server.config
    if not config.files_enabled or (server.accounts is None and not config.files_guests):
        return None
    directory = Path(config.files_dir) if config.files_dir else None
    if directory is None:
        base = Path(config.data_dir) if config.data_dir else default_data_dir()
        directory = base / "files"
    limits = FileLimits(config.files_max_size, config.files_quota, config.files_per_minute)
    public = urlsplit(config.files_url)
    try:
        files = FileStore(directory, limits)
    except OSError as exc:  # the chat works without uploads; say why they are off
        log.error("Uploads are off: cannot use %s: %s", directory, exc.strerror or exc)
        return None
    return Uploads(
        files,
        server.accounts,
        secure=secure,
        public_base=f"{public.scheme}://{public.netloc}" if public.netloc else "",
        max_age=config.history_max_age_days * 86400,
        tokens=server.auth.upload_tokens,
        guests=config.files_guests,
    )


def advertised_url(server: Server, page_urls: list[str]) -> None:
    """Advertise ``/upload`` of the first of ``page_urls`` as ``soju.im/FILEHOST``
    unless ``files.url`` says where, or the port listens on every address (then
    no one URL is right: set ``files.url``)."""
    if server.config.files_url or not page_urls:
        return
    host = urlsplit(page_urls[0]).hostname or ""
    if host in ("0.0.0.0", "::", ""):
        return
    # Kept beside the configuration, not in it: a reload must neither lose it nor take it
    # for a changed files.url.
    server.upload_url = page_urls[0].rstrip("/") + UPLOAD_PATH


async def expire_files(files: FileStore, max_age: float, every: float = 3600.0) -> None:
    """Apply the history's retention to the files too, every ``every`` seconds."""
    while True:
        removed = await asyncio.to_thread(files.expire, max_age)
        if removed:
            log.info("Retention removed %d shared files", removed)
        await asyncio.sleep(every)


def start_upkeep(
    server: Server, uploads: Uploads, page_urls: list[str]
) -> asyncio.Task[None] | None:
    """Advertise the upload URL of ``page_urls`` and start applying the retention to
    the files; returns the retention's task (cancel it at shutdown), if any."""
    advertised_url(server, page_urls)
    if uploads.max_age <= 0:
        return None
    expiry = expire_files(uploads.files, uploads.max_age)
    return asyncio.get_running_loop().create_task(expiry)
