"""TLS: a self-signed quick start, real certificates, stalled handshakes, and WHOIS."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from pathlib import Path

from chatroom.transports.tls import ensure_self_signed, fingerprint
from support.irc_client import IrcClient
from support.server import ServerFactory
from support.timeouts import TIMEOUT
from support.tls import read_until, tls_connect, tls_port


def test_self_signed_tls_quick_start(server_factory: ServerFactory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = server_factory("--tls", "--tls-port", "0", "--data-dir", str(data))
    port = tls_port(server.log)
    cert = data / "tls-cert.pem"
    assert cert.exists() and (data / "tls-key.pem").stat().st_mode & 0o077 == 0
    assert fingerprint(cert) in server.log
    secure = tls_connect(port, cafile=cert)  # verifies the chain and "localhost"
    secure.sendall(b"NICK sec\r\nUSER sec 0 * :Secure\r\nJOIN #lobby\r\n")
    read_until(secure, "366")
    plain = IrcClient(server.port).register("plain")
    plain.join("#lobby")
    secure.sendall("PRIVMSG #lobby :over TLS ✓\r\n".encode())
    assert plain.expect("PRIVMSG").params[1] == "over TLS ✓"
    plain.send("WHOIS sec")
    assert plain.expect("671").params[1] == "sec"
    # The same certificate is reused on the next start (fingerprints stay stable).
    again = ensure_self_signed(data)
    assert again[0] == cert


def test_stalled_handshake_does_not_block_others(server_factory: ServerFactory) -> None:
    server = server_factory("--tls", "--tls-port", "0")
    port = tls_port(server.log)
    stalled = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
    stalled[0].sendall(b"\x16\x03\x01\x00\x05hello")  # a broken ClientHello start
    secure = tls_connect(port)
    secure.sendall(b"NICK fine\r\nUSER f 0 * :F\r\n")
    read_until(secure, "001")
    IrcClient(server.port).register("plainfine")
    for s in stalled:
        s.close()


def test_require_tls_for_remote_allows_loopback(server_factory: ServerFactory) -> None:
    server = server_factory("--tls", "--tls-port", "0", config="[tls]\nrequire_for_remote = true\n")
    IrcClient(server.port).register("local")  # loopback is still allowed in plain text


def test_missing_certificate_is_a_config_error(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatroom",
            "server",
            "-p",
            "0",
            "--tls-port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--cert",
            str(tmp_path / "nope.pem"),
            "--key",
            str(tmp_path / "nope.key"),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "no such file" in result.stderr and "Traceback" not in result.stderr


def test_web_port_speaks_https_with_the_same_certificate(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    import urllib.request

    data = tmp_path / "data"
    server = server_factory("--tls", "--tls-port", "0", "--data-dir", str(data))
    assert f"Web chat at https://127.0.0.1:{server.web_port}/" in server.log
    context = ssl.create_default_context(cafile=str(data / "tls-cert.pem"))
    with urllib.request.urlopen(
        f"https://localhost:{server.web_port}/", context=context, timeout=TIMEOUT
    ) as response:
        assert response.status == 200
        assert "Content-Security-Policy" in response.headers


def test_unfinished_tls_handshakes_count_per_address(server_factory: ServerFactory) -> None:
    """One address cannot hold more TLS handshakes than max_per_address (issue 14): a
    connection counts from accept, and the count comes back when a handshake ends."""
    server = server_factory("--tls", "--tls-port", "0", config="[limits]\nmax_per_address = 3\n")
    port = tls_port(server.log)
    stalled = [socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) for _ in range(3)]
    refused = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    assert refused.recv(1) == b""  # closed at once: the address is full
    with contextlib.suppress(ssl.SSLError, OSError):
        tls_connect(port).sendall(b"NICK x\r\n")
        raise AssertionError("a fourth connection finished its handshake")
    # The plain port shares the count: its session is refused too.
    assert "Too many connections" in IrcClient(server.port).expect("ERROR").params[0]
    for s in stalled:
        s.close()
    # Once the stalled ones are gone, the address may connect again, over TLS too.
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            secure = tls_connect(port)
            secure.sendall(b"NICK back\r\nUSER b 0 * :B\r\n")
            read_until(secure, "001")
            break
        except (ssl.SSLError, OSError, AssertionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    assert "Traceback" not in server.log
