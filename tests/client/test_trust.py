"""TLS in the client core against the real server: a self-signed certificate is
trusted on first use, accepted silently later, and refused loudly once it
changes (a second certificate: the server restarted with another data dir)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from pathlib import Path

import pytest

from chatroom.client.events import (
    CertificateChanged,
    CertificateTrusted,
    CertificateUnknown,
    ExitReason,
    Stopped,
)
from chatroom.client.trust import KnownServers, known_servers_path, server_key
from support.client import Running
from support.server import RunningServer, ServerFactory
from support.timeouts import TIMEOUT


def tls_server(factory: ServerFactory, data: Path, port: int = 0) -> tuple[RunningServer, int, str]:
    server = factory("--tls", "--tls-port", str(port), "--data-dir", str(data))
    match = re.search(r"Listening for TLS at 127\.0\.0\.1:(\d+)", server.log)
    assert match, server.log
    fingerprint = re.search(r"([0-9A-F]{2}(?::[0-9A-F]{2}){31})", server.log)
    assert fingerprint, server.log
    return server, int(match.group(1)), fingerprint.group(1)


def tls_client(port: int, known: Path, **options: object) -> Running:
    return Running(port, "alice", tls=True, known_servers=known, **options)


async def test_trust_on_first_use_then_silently_then_refuse_a_change(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    known = tmp_path / "config" / "known_servers.json"
    server, port, fingerprint = tls_server(server_factory, tmp_path / "one")

    first = tls_client(port, known)
    question = await first.event(CertificateUnknown)
    assert question.fingerprint == fingerprint  # what the server's log shows
    assert question.known_file == str(known) and "self-signed" in question.reason
    first.client.trust_certificate(True)
    await first.ready()
    assert first.of(CertificateTrusted)[0].fingerprint == fingerprint
    assert KnownServers(known).get("127.0.0.1", port) == fingerprint
    await first.stop()

    later = await tls_client(port, known).ready()
    assert not later.of(CertificateUnknown) and not later.of(CertificateTrusted)
    await later.stop()

    server.stop(signal.SIGTERM)
    _server, _port, other = tls_server(server_factory, tmp_path / "two", port=port)
    assert other != fingerprint
    changed = tls_client(port, known)
    assert await asyncio.wait_for(changed.task, TIMEOUT) is ExitReason.CERTIFICATE
    assert changed.of(CertificateChanged) == [
        CertificateChanged("127.0.0.1", port, fingerprint, other, str(known))
    ]
    assert ExitReason.CERTIFICATE.exit_code == 1
    assert KnownServers(known).get("127.0.0.1", port) == fingerprint  # unchanged


async def test_a_refused_certificate_stops_and_is_not_remembered(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    known = tmp_path / "known_servers.json"
    _server, port, _fingerprint = tls_server(server_factory, tmp_path / "data")
    running = tls_client(port, known)
    await running.event(CertificateUnknown)
    running.client.trust_certificate(False)
    assert await asyncio.wait_for(running.task, TIMEOUT) is ExitReason.CERTIFICATE
    assert isinstance(running.events[-1], Stopped) and not known.exists()


async def test_trust_new_cert_accepts_without_asking(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    known = tmp_path / "known_servers.json"
    _server, port, fingerprint = tls_server(server_factory, tmp_path / "data")
    running = await tls_client(port, known, trust_new_cert=True).ready()
    assert not running.of(CertificateUnknown)
    entry = json.loads(known.read_text())[server_key("127.0.0.1", port)]
    assert entry["sha256"] == fingerprint
    await running.stop()


def test_known_servers_path_follows_xdg() -> None:
    assert known_servers_path({"XDG_CONFIG_HOME": "/x", "HOME": "/h"}) == Path(
        "/x/chatroom/known_servers.json"
    )
    assert known_servers_path({"XDG_CONFIG_HOME": "rel", "HOME": "/h"}) == Path(
        "/h/.config/chatroom/known_servers.json"
    )
    assert server_key("::1", 6697) == "[::1]:6697"


def test_an_unreadable_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "known_servers.json"
    path.write_text("{ not json")
    known = KnownServers(path)
    assert known.get("h", 1) is None
    with pytest.raises(OSError, match="unreadable"):
        known.remember("h", 1, "AA")
    assert path.read_text() == "{ not json"
