"""The web listener's HTTP side: static files, security headers, errors."""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatroom.web.http import (
    content_security_policy,
    load_static,
    origin_allowed,
    static_response,
)
from support.server import RunningServer, start_server
from support.timeouts import TIMEOUT

STATIC = Path(__file__).parents[2] / "src" / "chatroom" / "web" / "static"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for the module: these tests only read from it."""
    running = start_server(tmp_path_factory.mktemp("web"), "--no-flood-control")
    yield running
    running.stop()


def get(
    port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def fetch(port: int, path: str) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_the_page_and_its_files_are_served(server: RunningServer) -> None:
    response, body = fetch(server.web_port, "/")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<script type="module" src="js/app.js">' in body
    for path, kind in [
        ("/index.html", "text/html"),
        ("/style.css", "text/css"),
        ("/js/app.js", "text/javascript"),
        ("/js/irc.js", "text/javascript"),
        ("/favicon.svg", "image/svg+xml"),
        ("/config.json", "application/json"),
        ("/?utm=x", "text/html"),
    ]:
        response, body = fetch(server.web_port, path)
        assert response.status == 200, path
        assert response.headers["Content-Type"].startswith(kind), path
        assert body
    response, body = fetch(server.web_port, "/config.json")
    assert body == b'{"network": "chatroom", "default_room": "#lobby", "nicklen": 32}'


def test_every_response_carries_csp_and_nosniff(server: RunningServer) -> None:
    for path in ("/", "/js/app.js", "/missing", "/ws"):
        response = get(server.web_port, path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff", path


def test_unknown_paths_are_404(server: RunningServer) -> None:
    for path in ("/nope", "/../../etc/passwd", "/js/", "/js/../index.html", "/static/index.html"):
        assert get(server.web_port, path).status == 404, path


def test_caching_head_and_methods(server: RunningServer) -> None:
    first = get(server.web_port, "/js/app.js")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache" and etag
    assert get(server.web_port, "/js/app.js", headers={"If-None-Match": etag}).status == 304
    head = get(server.web_port, "/style.css", "HEAD")
    assert head.status == 200 and int(head.headers["Content-Length"]) > 0
    assert get(server.web_port, "/", "POST").status == 405


def test_ws_path_without_upgrade_is_not_a_page(server: RunningServer) -> None:
    assert get(server.web_port, "/ws").status == 426  # Upgrade Required


def test_no_web_means_no_web_port(server_factory: object) -> None:
    running = server_factory("--no-web")  # type: ignore[operator]
    assert running.web_port == 0 and "Web chat at" not in running.log


def test_a_taken_web_port_is_logged_not_fatal(server: RunningServer, tmp_path: Path) -> None:
    log_path = tmp_path / "second.log"
    argv = [sys.executable, "-m", "chatroom", "server", "127.0.0.1", "-p", "0"]
    argv += ["--web-port", str(server.web_port), "--data-dir", str(tmp_path / "second")]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    second = RunningServer(proc, 0, log_path, argv)
    try:
        second.wait_for_log(r"Could not serve the web chat at 127\.0\.0\.1:\d+")
        second.wait_for_log(r"Listening at 127\.0\.0\.1:\d+")
        assert proc.poll() is None  # IRC is still served
    finally:
        assert second.stop() == 0


# -- the functions behind it ----------------------------------------------------------------


def test_csp_names_ws_sources_only_for_a_plain_host() -> None:
    assert "ws://chat.lan:8080 wss://chat.lan:8080" in content_security_policy("chat.lan:8080")
    assert "ws://[::1]:8080" in content_security_policy("[::1]:8080")
    for hostile in ("evil; script-src *", "a b", "*", "x'unsafe-inline'", None, ""):
        csp = content_security_policy(hostile)
        assert "connect-src 'self';" in csp
        assert csp.count(";") == content_security_policy(None).count(";")


def test_load_static_reads_known_types_only(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>hi</p>")
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("export {};")
    (tmp_path / "secret.py").write_text("x = 1")
    (tmp_path / ".hidden.js").write_text("")
    table = load_static(tmp_path)
    assert set(table) == {"/", "/index.html", "/js/a.js"}
    assert table["/"] is table["/index.html"]
    assert static_response(table, "GET", "/secret.py", None).status_code == 404


def test_the_shipped_page_uses_no_outside_resources() -> None:
    # No CDN: the page works on a LAN without internet, and the CSP would block it anyway.
    html = (STATIC / "index.html").read_text()
    for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert "//" not in ref and not ref.startswith("/"), ref
    assert "<script>" not in html, "no inline script"
    assert not re.search(r"\son[a-z]+\s*=", html), "no event handler attributes"
    assert not re.search(r"\sstyle\s*=", html), "no inline style"
    for js in (STATIC / "js").glob("*.js"):
        text = js.read_text()
        assert "innerHTML" not in text and "outerHTML" not in text, js.name
        assert "insertAdjacentHTML" not in text and "document.write" not in text, js.name
        assert "eval(" not in text and "new Function" not in text, js.name


@pytest.mark.parametrize("path", ["/", "/index.html", "/js/app.js"])
def test_every_shipped_file_loads(path: str) -> None:
    table = load_static()
    response = static_response(table, "GET", path, "chat.lan:8080")
    assert response.status_code == 200 and response.body


def raw_request(port: int, request: bytes) -> bytes:
    """Send ``request`` as is and return the whole answer (the server closes after it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    "headers",
    [
        b"Host: a.example\r\nHost: b.example\r\n",
        b"Host: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nOrigin: http://evil.example\r\n",
    ],
    ids=["two-hosts", "two-origins"],
)
@pytest.mark.parametrize("path", [b"/", b"/ws"])
def test_a_repeated_host_or_origin_header_is_400(
    server: RunningServer, headers: bytes, path: bytes
) -> None:
    upgrade = (
        b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        if path == b"/ws"
        else b""
    )
    answer = raw_request(
        server.web_port, b"GET " + path + b" HTTP/1.1\r\n" + headers + upgrade + b"\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"X-Content-Type-Options: nosniff" in answer
    assert "Traceback" not in server.log


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "ok"),
    [
        (None, "chat.lan:8080", (), True),  # not a browser
        ("http://chat.lan:8080", "chat.lan:8080", (), True),  # our own page
        ("HTTP://Chat.LAN:8080/", "chat.lan:8080", (), True),
        ("https://chat.lan", "chat.lan", (), True),
        ("http://evil.example", "chat.lan:8080", (), False),
        ("http://chat.lan:9999", "chat.lan:8080", (), False),  # another port, another origin
        ("null", "chat.lan:8080", (), False),  # sandboxed frame or file://
        ("ftp://chat.lan:8080", "chat.lan:8080", (), False),
        ("https://app.example", "chat.lan:8080", ("https://app.example",), True),
        ("https://other.example", "chat.lan:8080", ("https://app.example",), False),
        ("https://other.example", "chat.lan:8080", ("*",), True),
        ("http://chat.lan:8080", None, (), False),
    ],
)
def test_origin_allowed(
    origin: str | None, host: str | None, allowed: tuple[str], ok: bool
) -> None:
    assert origin_allowed(origin, host, allowed) is ok
