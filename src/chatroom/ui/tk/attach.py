"""Sharing files from the window, and showing shared images as thumbnails.

Attaching (the 📎 button or Ctrl+O) asks for a file and hands it to the core's
``/upload`` (:mod:`chatroom.client.upload`: soju.im/FILEHOST), which posts it on a
thread and sends the link; a refusal comes back as a red line with the server's
reason.

Thumbnails are fetched by :class:`ThumbnailLoader` on its own threads, never on
Tk's: the window asks with :meth:`~ThumbnailLoader.want` and collects finished
ones with :meth:`~ThumbnailLoader.ready` from its ``after()`` tick, so a slow or
dead web server never freezes it. Only links to the chat server's own files are
fetched (see :func:`~chatroom.ui.tk.annotations.file_links`), and only its small
PNG thumbnails (the server makes them with Pillow), never the originals.
"""

from __future__ import annotations

import logging
import queue
import ssl
import urllib.error
import urllib.request
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from chatroom.ui.tk.annotations import thumbnail_url

log = logging.getLogger(__name__)

MAX_THUMB_BYTES = 2 * 1024 * 1024
"""A thumbnail larger than this is not shown (the server's are a few kB)."""

CACHE = 200
"""Thumbnails kept in memory, by link, so a redraw needs no new fetch."""

TIMEOUT = 10.0


def fetch_thumbnail(link: str, verify: bool = True, timeout: float = TIMEOUT) -> bytes | None:
    """The PNG thumbnail of the shared file ``link``, or None (not an image, gone,
    unreachable). Blocking: call it off the Tk thread."""
    context = ssl.create_default_context()
    if not verify:  # the same choice as for the IRC connection (a self-signed server)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(thumbnail_url(link), timeout=timeout, context=context) as r:
            if r.status != 200 or r.headers.get_content_type() != "image/png":
                return None
            body: bytes = r.read(MAX_THUMB_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.debug("no thumbnail for %s: %s", link, exc)
        return None
    return body if len(body) <= MAX_THUMB_BYTES else None


class ThumbnailLoader:
    """Fetches thumbnails on two worker threads; results wait in a queue."""

    def __init__(self, verify: bool = True) -> None:
        self.verify = verify
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chatroom-thumbs")
        self._done: queue.SimpleQueue[tuple[str, str, bytes | None]] = queue.SimpleQueue()
        self._cache: OrderedDict[str, bytes | None] = OrderedDict()
        self._pending: dict[str, list[str]] = {}  # link -> msgids waiting for it
        self._closed = False

    def want(self, msgid: str, link: str) -> None:
        """The message ``msgid`` shows ``link``: fetch its thumbnail (once per link)."""
        if self._closed:
            return
        if link in self._cache:
            self._done.put((msgid, link, self._cache[link]))
        elif link in self._pending:
            self._pending[link].append(msgid)
        else:
            self._pending[link] = [msgid]
            self._pool.submit(self._fetch, link)

    def _fetch(self, link: str) -> None:
        self._done.put(("", link, fetch_thumbnail(link, self.verify)))

    def ready(self) -> list[tuple[str, str, bytes]]:
        """Thumbnails fetched since the last call, as ``(msgid, link, png)``."""
        out: list[tuple[str, str, bytes]] = []
        while True:
            try:
                msgid, link, body = self._done.get_nowait()
            except queue.Empty:
                return out
            msgids = [msgid] if msgid else self._pending.pop(link, [])
            if not msgid:
                self._cache[link] = body
                while len(self._cache) > CACHE:
                    self._cache.popitem(last=False)
            if body is not None:
                out += [(m, link, body) for m in msgids]

    def close(self) -> None:
        """Stop fetching (pending fetches are dropped). Idempotent."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
