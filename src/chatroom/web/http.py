"""The HTTP side of the web listener: the page's static files and the headers every
response carries.

The files live in ``chatroom/web/static`` (package data) and are read once, at start,
into memory: they are few and small, and serving from memory means no file-system
path is ever built from a request (no traversal to guard against). A path that is
not in the table is a 404.

Every response carries a strict Content-Security-Policy: scripts, styles, images
and the WebSocket only from this server, no inline script or style, no plugins, no
framing (so a message can never run code even if a rendering bug let markup
through). ``X-Content-Type-Options: nosniff`` keeps browsers from guessing types.
"""

from __future__ import annotations

import email.utils
import hashlib
import http
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from urllib.parse import urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Response

CONTENT_TYPES: Mapping[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
"""File types we serve; a file of any other type in ``static/`` is not served."""

# A Host header we may echo into the CSP: a name or address and a port, nothing that
# could end the directive (";", ",", spaces) or add a source ("*", quotes).
_HOST = re.compile(r"^(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def content_security_policy(host: str | None) -> str:
    """The CSP for a response to a request with this ``Host`` header.

    ``connect-src 'self'`` covers ws: and wss: to the same host in CSP Level 3, but
    older browsers (Safari before 15.4) need them named, so they are added when the
    Host header is a plain ``host[:port]``.
    """
    connect = "'self'"
    if host and _HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src {connect}; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def security_headers(host: str | None) -> list[tuple[str, str]]:
    """Headers every response carries (pages, errors and refusals alike)."""
    return [
        ("Content-Security-Policy", content_security_policy(host)),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]


@dataclass(frozen=True)
class StaticFile:
    """One file of the page, ready to send."""

    body: bytes
    content_type: str
    etag: str


def make_file(body: bytes, content_type: str) -> StaticFile:
    """A :class:`StaticFile` for ``body``, its ETag taken from its content."""
    return StaticFile(body, content_type, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')


def json_file(data: Mapping[str, object]) -> StaticFile:
    """A small JSON document served like a file (the page's settings)."""
    return make_file(json.dumps(data).encode(), CONTENT_TYPES[".json"])


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.is_file():
            yield f"{prefix}{entry.name}", entry


def load_static(folder: Traversable | None = None) -> dict[str, StaticFile]:
    """Read the page's files into a table ``URL path → file``; ``/`` is ``index.html``.

    ``folder`` defaults to the package's ``static/`` directory. Hidden files and
    files of unknown type are left out.
    """
    root = folder if folder is not None else files("chatroom.web").joinpath("static")
    table: dict[str, StaticFile] = {}
    for name, entry in _walk(root, "/"):
        dot = name.rfind(".")
        kind = CONTENT_TYPES.get(name[dot:].lower()) if dot > 0 else None
        if kind is None or "/." in name:
            continue
        table[name] = make_file(entry.read_bytes(), kind)
    if "/index.html" in table:
        table["/"] = table["/index.html"]
    return table


def respond(
    status: int, body: bytes, content_type: str, host: str | None, extra: Mapping[str, str] = {}
) -> Response:
    """A complete response with the security headers; the connection closes after it."""
    status_ = http.HTTPStatus(status)
    headers = Headers([("Date", email.utils.formatdate(usegmt=True)), ("Connection", "close")])
    if status != 304:  # a 304 has no body, and its headers describe the cached one
        headers["Content-Type"] = content_type
        headers["Content-Length"] = str(len(body))
    headers.update(extra)
    headers.update(security_headers(host))
    return Response(status_.value, status_.phrase, headers, body)


def text_response(status: int, text: str, host: str | None) -> Response:
    """A short plain-text response (errors and refusals)."""
    return respond(status, text.encode(), "text/plain; charset=utf-8", host)


def static_response(
    table: Mapping[str, StaticFile],
    method: str,
    path: str,
    host: str | None,
    if_none_match: str | None = None,
) -> Response:
    """Answer a GET (or HEAD) for a static file: 200, 304 (unchanged), 404 or 405.

    Files are sent with ``Cache-Control: no-cache``: the browser keeps them but asks
    each time, so a new version of the page is seen at once after an upgrade, and an
    unchanged file costs a 304 without body.
    """
    if method not in ("GET", "HEAD"):
        return text_response(405, "Only GET is supported here.\n", host)
    found = table.get(path.split("?", 1)[0].split("#", 1)[0])
    if found is None:
        return text_response(404, "Not found.\n", host)
    cache = {"Cache-Control": "no-cache", "ETag": found.etag}
    if if_none_match is not None and found.etag in (t.strip() for t in if_none_match.split(",")):
        return respond(304, b"", found.content_type, host, cache)
    response = respond(200, found.body, found.content_type, host, cache)
    if method == "HEAD":  # the same headers, Content-Length included, and no body
        response.body = b""
    return response


def normalize_origin(origin: str) -> str:
    """``HTTP://Chat.Example:8080/`` → ``http://chat.example:8080``."""
    return origin.strip().rstrip("/").lower()


def origin_allowed(origin: str | None, host: str | None, allowed: Iterable[str] = ()) -> bool:
    """May a page from ``origin`` open a WebSocket to us (reached as ``host``)?

    - No ``Origin`` header: yes. Browsers always send one (RFC 6455 §4.1, item 8),
      so this is a native client, which no web page can drive.
    - ``origin`` is in ``allowed`` (exact, normalized), or ``allowed`` holds ``"*"``.
    - Otherwise the page must come from this very server: an http(s) origin whose
      host and port are the request's ``Host`` header (our own page).
    """
    if origin is None:
        return True
    normalized = normalize_origin(origin)
    allowed = {normalize_origin(a) for a in allowed}
    if "*" in allowed or normalized in allowed:
        return True
    parts = urlsplit(normalized)
    return (
        parts.scheme in ("http", "https")
        and host is not None
        and bool(parts.netloc)
        and parts.netloc == host.strip().lower()
    )
