"""Uploads on the web port: ``POST /upload`` (https://soju.im/specs/filehost).

Why this is not in ``process_request``: the websockets HTTP parser refuses any
request with a body (it only ever expects a handshake), so a POST never reaches
it. :func:`with_uploads` wraps the WebSocket connection class: it looks at the
first bytes of each connection and, when they are ``POST`` or ``OPTIONS``, an
:class:`UploadExchange` answers the request itself; any other request goes on to
websockets untouched. One port, one listener, one TLS context.

The exchange, by the spec: ``OPTIONS /upload`` is answered with ``Allow`` and
``Accept-Post``; ``POST /upload`` with ``Authorization: Basic`` (the account's
name and password, as for SASL PLAIN) or ``Authorization: Bearer`` (a token the
session got with ``EXTJWT``, :mod:`chatroom.server.tokens`) and a ``Content-Length`` gets
``201 Created`` with the file's URL in ``Location`` (and in the body). Every
limit is checked before the body is read, and a body larger than announced is
refused. Refusals: 400 (malformed), 401 (no or bad credentials), 403 (a guest's
token while ``files.guests`` is off), 405 (another
path), 411 (no length), 413 (too large, quota), 429 (rate), 507 (the disk).
The connection closes after the response.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Response

from chatroom.web.filehost import FILES_PATH, UPLOAD_PATH, Uploads
from chatroom.web.files import FileStore, UploadRefused, file_headers
from chatroom.web.http import respond, text_response

log = logging.getLogger("chatroom.server")

MAX_HEAD = 16 * 1024
"""Longest request line and headers we read (a security limit)."""

_HOST = re.compile(r"^(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
_DISPOSITION_NAME = re.compile(r'filename="?([^";]*)"?', re.IGNORECASE)


def takes(first_bytes: bytes) -> bool | None:
    """Is this connection an upload (True), something else (False), or too soon to
    tell (None)? Only the method matters."""
    for method in (b"POST ", b"OPTIONS "):
        if first_bytes.startswith(method):
            return True
        if method.startswith(first_bytes):
            return None
    return False


class UploadExchange:
    """One upload request on one connection: fed bytes, writes one response."""

    def __init__(self, uploads: Uploads, transport: asyncio.Transport) -> None:
        self.uploads = uploads
        self.transport = transport
        self.buffer = bytearray()
        self.more = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run())

    def feed(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > MAX_HEAD + self.uploads.files.limits.max_size:
            self.transport.abort()  # more than any request we could take
            return
        self.more.set()

    def lost(self) -> None:
        """The peer went away: stop."""
        self.task.cancel()

    async def _wait(self, enough: int) -> bool:
        """Wait until ``enough`` bytes are buffered; False if the peer stops sending."""
        while len(self.buffer) < enough:
            self.more.clear()
            try:
                await asyncio.wait_for(self.more.wait(), 60)
            except TimeoutError:
                return False
        return True

    async def _run(self) -> None:
        try:
            response = await self._answer()
        except UploadRefused as refused:
            response = text_response(refused.status, refused.reason + "\n", None)
        except Exception:  # a bug or the account store: never a hung connection
            log.exception("Upload failed")
            response = text_response(500, "The upload failed.\n", None)
        if response.status_code >= 400:
            log.info("Upload refused: %s", response.status_code)
        self.transport.write(response.serialize())
        self.transport.close()

    async def _answer(self) -> Response:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if len(self.buffer) > MAX_HEAD or not await self._wait(len(self.buffer) + 1):
                return text_response(400, "Incomplete or oversized request head.\n", None)
        method, path, headers = parse_head(bytes(self.buffer[:end]))
        del self.buffer[: end + 4]
        host = headers.get("host")
        if path.split("?", 1)[0] != UPLOAD_PATH:
            return text_response(405, "Only GET is supported here.\n", host)
        if method == "OPTIONS":
            extra = {"Allow": "OPTIONS, POST", "Accept-Post": "*/*"}
            return respond(204, b"", "text/plain", host, extra)
        if "transfer-encoding" in headers or "content-length" not in headers:
            return text_response(411, "Send a Content-Length (no chunked bodies).\n", host)
        try:
            size = int(headers["content-length"])
        except ValueError:
            return text_response(400, "Bad Content-Length.\n", host)
        account = await self._authenticate(headers.get("authorization", ""))
        if account is None:
            challenge = 'Basic realm="chatroom", charset="UTF-8"'
            if self.uploads.tokens is not None:
                challenge += ', Bearer realm="chatroom"'
            extra = {"WWW-Authenticate": challenge}
            return respond(
                401, b"Log in with your account, or a token (EXTJWT).\n", "text/plain", host, extra
            )
        self.uploads.files.check(account, size)
        if headers.get("expect", "").lower() == "100-continue":
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if not await self._wait(size):
            return text_response(400, "The body was shorter than its Content-Length.\n", host)
        if len(self.buffer) > size:
            return text_response(400, "The body was longer than its Content-Length.\n", host)
        name = _filename(headers.get("content-disposition", ""))
        stored = await asyncio.to_thread(self.uploads.files.save, account, bytes(self.buffer), name)
        url = f"{self._base(host)}{FILES_PATH}{stored.name}"
        return respond(
            201, url.encode() + b"\n", "text/plain; charset=utf-8", host, {"Location": url}
        )

    async def _authenticate(self, authorization: str) -> str | None:
        """Who the upload counts against: the account named by HTTP Basic credentials
        (RFC 7617) if they are right, or the owner of a live Bearer token (RFC 6750);
        a guest's token is refused (403) unless ``files.guests`` is on."""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() == "bearer" and self.uploads.tokens is not None:
            grant = self.uploads.tokens.check(encoded.strip())
            if grant is not None and grant.account is None and not self.uploads.guests:
                raise UploadRefused(403, "Log in to an account to share files.")
            return None if grant is None else grant.owner
        if scheme.lower() != "basic" or self.uploads.accounts is None:
            return None
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if not sep:
            return None
        found = await self.uploads.accounts.verify_password(user, password)
        return found.name if found is not None else None

    def _base(self, host: str | None) -> str:
        if self.uploads.public_base:
            return self.uploads.public_base.rstrip("/")
        scheme = "https" if self.uploads.secure else "http"
        return f"{scheme}://{host if host and _HOST.match(host) else 'localhost'}"


def parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    """The method, path and headers (names lower-cased; a repeated header keeps its
    first value) of a request head; raises :class:`UploadRefused` (400) if malformed."""
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, path, protocol = lines[0].split(" ")
    except ValueError:
        raise UploadRefused(400, "Malformed request line.") from None
    if protocol not in ("HTTP/1.1", "HTTP/1.0"):
        raise UploadRefused(400, "Unsupported HTTP version.")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise UploadRefused(400, "Malformed header.")
        headers.setdefault(name.lower(), value.strip())
    return method, path, headers


def _filename(disposition: str) -> str:
    found = _DISPOSITION_NAME.search(disposition)
    return found.group(1) if found else ""


def with_uploads(base: type[ServerConnection], uploads: Uploads) -> type[ServerConnection]:
    """``base`` (the WebSocket connection class) with POST and OPTIONS requests
    answered by an :class:`UploadExchange` instead."""

    class WithUploads(base):  # type: ignore[valid-type,misc]
        _deciding = True
        _head = b""
        _upload: UploadExchange | None = None

        def data_received(self, data: bytes) -> None:
            if self._upload is not None:
                self._upload.feed(data)
                return
            if not self._deciding:
                super().data_received(data)
                return
            self._head += data
            verdict = takes(self._head)
            if verdict is None:
                return
            self._deciding = False
            data, self._head = self._head, b""
            if verdict:
                self._upload = UploadExchange(uploads, self.transport)
                self._upload.feed(data)
            else:
                super().data_received(data)

        def connection_lost(self, exc: Any) -> None:
            if self._upload is not None:
                self._upload.lost()
            super().connection_lost(exc)

    return WithUploads


def file_response(files: FileStore, method: str, path: str, host: str | None) -> Response:
    """Answer ``GET`` (or ``HEAD``) ``/files/NAME`` or ``/files/NAME/thumb``: the file
    with :func:`~chatroom.web.files.file_headers`, or 404 / 405."""
    if method not in ("GET", "HEAD"):
        return text_response(405, "Only GET is supported here.\n", host)
    name, _, part = path.split("?", 1)[0][len(FILES_PATH) :].partition("/")
    stored = files.get(name) if part in ("", "thumb") else None
    thumb = part == "thumb"
    body = files.read(name, thumb) if stored is not None else None
    if stored is None or body is None or (thumb and not stored.thumbnail):
        return text_response(404, "Not found.\n", host)
    response = respond(200, body, stored.content_type, host)
    for key, value in file_headers(stored, thumb).items():
        if key in response.headers:
            del response.headers[key]  # one value each, ours
        response.headers[key] = value
    if method == "HEAD":
        response.body = b""
    return response
