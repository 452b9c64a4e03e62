"""SIGHUP over real sockets: a renewed certificate for new connections while the
connected keep theirs, a config with an error refused whole, a limit lowered live."""

from __future__ import annotations

import hashlib
import shutil
import signal
import ssl
from pathlib import Path

from chatroom.transports.tls import ensure_self_signed
from support.irc_client import IrcClient
from support.server import ServerFactory
from support.tls import read_until, tls_connect, tls_port


def _pair(directory: Path) -> tuple[Path, Path]:
    return ensure_self_signed(directory, "localhost")


def _digest(der: bytes | None) -> str:
    assert der is not None
    return hashlib.sha256(der).hexdigest()


def _config(cert: Path, key: Path, extra: str = "") -> str:
    return f'[tls]\nenabled = true\nport = 0\ncert = "{cert}"\nkey = "{key}"\n{extra}'


def test_a_renewed_certificate_is_used_for_new_connections(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    live = tmp_path / "live"
    live.mkdir()
    old_cert, old_key = _pair(tmp_path / "old")
    new_cert, new_key = _pair(tmp_path / "new")
    cert, key = live / "cert.pem", live / "key.pem"
    shutil.copy(old_cert, cert)
    shutil.copy(old_key, key)
    server = server_factory("--no-flood-control", config=_config(cert, key))
    port = tls_port(server.log)
    before = tls_connect(port)
    before.sendall(b"NICK early\r\nUSER early 0 * :Early\r\n")
    read_until(before, "001")
    # What certbot does at renewal: the same paths, new files; then the reload hook.
    shutil.copy(new_cert, cert)
    shutil.copy(new_key, key)
    server.proc.send_signal(signal.SIGHUP)
    server.wait_for_log("Configuration reloaded")
    after = tls_connect(port)
    # A new connection gets the renewed certificate; the one before keeps the old.
    assert _digest(after.getpeercert(binary_form=True)) == _digest(_der(new_cert))
    assert _digest(before.getpeercert(binary_form=True)) == _digest(_der(old_cert))
    before.sendall(b"PING :still-here\r\n")
    assert any(line.params[-1] == "still-here" for line in read_until(before, "PONG"))
    after.sendall(b"NICK late\r\nUSER late 0 * :Late\r\n")
    read_until(after, "001")


def _der(path: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(path.read_text())


def test_a_config_with_an_error_is_refused_whole(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = server_factory("--no-flood-control", config="[limits]\nmax_channels = 5\n")
    config_path = Path(server.args[server.args.index("--config") + 1])
    # One good change, one bad: neither is applied.
    config_path.write_text("[limits]\nmax_channels = 1\ntopiclen = 'long'\n")
    server.proc.send_signal(signal.SIGHUP)
    line = server.wait_for_log(r"Reload refused.*\n").group(0)
    assert "config: limits.topiclen: must be an integer from 1 to 4000, not 'long'" in line
    alice = IrcClient(server.port).register("alice")
    alice.join("#one")
    alice.join("#two")  # max_channels is still 5
    alice.close()


def test_a_limit_lowered_live_and_a_port_named(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = server_factory("--no-flood-control", config="[limits]\nmax_channels = 5\n")
    config_path = Path(server.args[server.args.index("--config") + 1])
    alice = IrcClient(server.port).register("alice")
    alice.join("#one")
    config_path.write_text('[limits]\nmax_channels = 1\n[server]\nnetwork = "other"\n')
    server.proc.send_signal(signal.SIGHUP)
    server.wait_for_log("Configuration reloaded")
    assert "server.network changed, which takes a restart" in server.log
    alice.send("JOIN #two")
    assert alice.expect("405").params[1] == "#two"
    alice.close()
