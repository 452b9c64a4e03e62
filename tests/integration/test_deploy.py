"""The recipes of docs/deploy.md, run where this machine allows: the systemd unit is
checked by ``systemd-analyze verify``, and the nginx and Caddy configurations are
run, for real, in front of a server's web port (TLS terminated by the proxy), with
a WebSocket IRC session through them from another loopback address."""

from __future__ import annotations

import http.client
import os
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from chatroom.cli import build_parser
from chatroom.transports.tls import ensure_self_signed
from support.irc_client import IrcClient
from support.ports import free_port
from support.server import RunningServer, ServerFactory
from support.timeouts import TIMEOUT

DEPLOY = Path(__file__).parents[2] / "deploy"
TEXT = Subprotocol("text.ircv3.net")
# The person's address: loopback too, but not the proxy's 127.0.0.1 (Linux routes
# all of 127.0.0.0/8 to lo).
PERSON = "127.0.0.2"
TRUSTING = '[web]\ntrusted_proxies = ["127.0.0.1", "::1"]\n'


def unit_directives() -> dict[str, str]:
    out = {}
    for line in (DEPLOY / "chatroom.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = value
    return out


def test_the_systemd_unit_is_hardened_and_runs_the_server() -> None:
    unit = unit_directives()
    assert unit["User"] == "chatroom" and unit["StateDirectory"] == "chatroom"
    assert unit["ProtectSystem"] == "strict" and unit["NoNewPrivileges"] == "yes"
    assert unit["Restart"] == "on-failure" and unit["KillSignal"] == "SIGTERM"
    command = shlex.split(unit["ExecStart"])
    args = build_parser().parse_args(command[1:])  # what it runs is a valid command line
    assert args.command == "server" and args.data_dir == "/var/lib/chatroom"


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (apt-get install systemd)",
)
def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify also checks that ExecStart's program exists: point it at this install's.
    chatroom = shutil.which("chatroom", path=str(Path(sys.executable).parent))
    assert chatroom is not None
    text = (DEPLOY / "chatroom.service").read_text()
    assert "/opt/chatroom/bin/chatroom " in text
    unit = tmp_path / "chatroom.service"
    unit.write_text(text.replace("/opt/chatroom/bin/chatroom ", f"{chatroom} "))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
    )
    # verify exits 0 on unknown keys and bad values too; it only warns. Any word is a fault.
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stderr


# -- reverse proxies ------------------------------------------------------------------


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}:\n{log.read_text(errors='replace')}")


def substitute(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in the deploy file: update this test"
        text = text.replace(old, new)
    return text


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, as the proxy's (Let's Encrypt's in real life)."""
    return ensure_self_signed(tmp_path / "cert", "localhost")


def person_ws(port: int, cert: Path) -> ClientConnection:
    """A browser-like WebSocket to the proxy, from :data:`PERSON`, over TLS."""
    sock = socket.socket()
    sock.bind((PERSON, 0))
    sock.settimeout(TIMEOUT)
    sock.connect(("127.0.0.1", port))
    context = ssl.create_default_context(cafile=str(cert))
    return connect(
        f"wss://127.0.0.1:{port}/ws",
        sock=sock,
        ssl=context,
        server_hostname="127.0.0.1",
        subprotocols=[TEXT],
        origin=f"https://127.0.0.1:{port}",  # type: ignore[arg-type]  # the page's own
        open_timeout=TIMEOUT,
    )


def lines_until(ws: ClientConnection, numeric: str) -> list[str]:
    seen: list[str] = []
    while not seen or f" {numeric} " not in seen[-1]:
        message = ws.recv(timeout=TIMEOUT)
        seen.append(message.decode() if isinstance(message, bytes) else message)
    return seen


def chat_through(server: RunningServer, port: int, cert: Path) -> None:
    """What a person on the proxy's https page does: register, join, talk; what the
    server makes of it (WHOIS) and what a plain IRC user sees."""
    bob = IrcClient(server.port).register("bob")
    bob.join("#lobby")
    with person_ws(port, cert) as ws:
        ws.send("NICK alice")
        ws.send("USER alice 0 * :Alice")
        lines_until(ws, "376")
        ws.send("WHOIS alice")
        whois = lines_until(ws, "318")
        user = next(line for line in whois if " 311 " in line).split(" ")
        assert user[5] == PERSON  # the person's address, not the proxy's
        assert any(" 671 " in line for line in whois)  # TLS, terminated by the proxy
        ws.send("JOIN #lobby")
        lines_until(ws, "366")
        ws.send("PRIVMSG #lobby :hello through the proxy")
        said = bob.expect("PRIVMSG")
        assert said.source == f"alice!~alice@{PERSON}"
        assert said.params == ["#lobby", "hello through the proxy"]
    bob.close()
    assert "Traceback" not in server.log


def https_get(port: int, cert: Path, path: str = "/") -> tuple[int, bytes]:
    context = ssl.create_default_context(cafile=str(cert))
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=TIMEOUT)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


@pytest.fixture
def nginx(tmp_path: Path, certificate: tuple[Path, Path]) -> Iterator[tuple[Path, Path]]:
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    yield Path(binary), tmp_path / "nginx"


def test_nginx_in_front_of_the_web_port(
    server_factory: ServerFactory,
    nginx: tuple[Path, Path],
    certificate: tuple[Path, Path],
) -> None:
    binary, prefix = nginx
    prefix.mkdir()
    cert, key = certificate
    server = server_factory("--no-flood-control", config=TRUSTING)
    https, http_port = free_port(), free_port()
    site = substitute(
        (DEPLOY / "nginx.conf").read_text(),
        {
            "listen 443 ssl;": f"listen 127.0.0.1:{https} ssl;",
            "listen [::]:443 ssl;": "",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen [::]:80;": "",
            "/etc/letsencrypt/live/chat.example.org/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/chat.example.org/privkey.pem": str(key),
            "server 127.0.0.1:8080;": f"server 127.0.0.1:{server.web_port};",
        },
    )
    (prefix / "chatroom.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log info;\nevents {{ worker_connections 64; }}\n"
        f"http {{ access_log {prefix}/access.log; {temp} include {prefix}/chatroom.conf; }}\n"
    )
    log = prefix / "error.log"
    proc = subprocess.Popen(
        [str(binary), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(https, proc, log)
        status, body = https_get(https, cert)
        assert status == 200 and b"<script" in body
        chat_through(server, https, cert)
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=TIMEOUT)
        plain.request("GET", "/")
        assert plain.getresponse().status == 301  # plain HTTP is sent to HTTPS
        plain.close()
    finally:
        proc.terminate()
        proc.wait(TIMEOUT)


def test_caddy_in_front_of_the_web_port(
    server_factory: ServerFactory, tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    binary = shutil.which("caddy")
    if binary is None:
        pytest.skip("caddy is not installed (apt-get install caddy)")
    cert, key = certificate
    server = server_factory("--no-flood-control", config=TRUSTING)
    https = free_port()
    home = tmp_path / "caddy"
    home.mkdir()
    # Our certificate instead of Let's Encrypt's, and nothing outside tmp_path.
    options = f"{{\n\tadmin off\n\tauto_https disable_redirects\n\tstorage file_system {home}\n}}\n"
    site = substitute(
        (DEPLOY / "Caddyfile").read_text(),
        {
            "chat.example.org {": f"{options}https://127.0.0.1:{https} {{\n\ttls {cert} {key}",
            "reverse_proxy 127.0.0.1:8080": f"reverse_proxy 127.0.0.1:{server.web_port}",
        },
    )
    (home / "Caddyfile").write_text(site)
    log = home / "caddy.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [binary, "run", "--adapter", "caddyfile", "--config", str(home / "Caddyfile")],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "HOME": str(home),
                "XDG_DATA_HOME": str(home),
                "XDG_CONFIG_HOME": str(home),
            },
        )
    try:
        wait_for_port(https, proc, log)
        status, body = https_get(https, cert)
        assert status == 200 and b"<script" in body
        chat_through(server, https, cert)
    finally:
        proc.terminate()
        proc.wait(TIMEOUT)
