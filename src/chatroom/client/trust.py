"""Trusting a server's TLS certificate: verified as usual, or pinned on first use.

A certificate that verifies against the system's authorities is accepted as
any TLS client would. One that does not (typically ``chatroom server --tls``'s
self-signed certificate) is handled like SSH host keys:

- first time: its SHA-256 fingerprint (``AA:BB:...``, the format the server
  logs) is shown, and remembered once the user accepts it
  (``CertificateUnknown`` -> :meth:`ChatClient.trust_certificate`), or at once
  with ``ClientConfig.trust_new_cert``;
- later: the same fingerprint is accepted silently;
- a different fingerprint is refused, always, with both fingerprints and the
  file to edit (``CertificateChanged``); the client stops (exit code 1) and does
  not reconnect: it may be a man-in-the-middle.

Fingerprints live in ``known_servers.json`` in the user's config directory
(``$XDG_CONFIG_HOME/chatroom``, default ``~/.config/chatroom``), one entry
per ``host:port``. An unreadable file counts as empty (after a warning), so
every server is asked about again; it is never silently overwritten.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from chatroom.client.config import ClientConfig
from chatroom.client.connection import (
    CertificateUnverified,
    ConnectError,
    Connection,
    open_connection,
)
from chatroom.client.events import (
    CertificateChanged,
    CertificateTrusted,
    CertificateUnknown,
    Event,
)

log = logging.getLogger(__name__)

FILE_NAME = "known_servers.json"


class CertificateRefused(ConnectError):
    """The certificate is not to be trusted (it changed, or the user said no):
    the client stops instead of trying again."""


def known_servers_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where remembered fingerprints live, by the XDG base directory rules."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or ""
    # XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
    root = Path(base) if os.path.isabs(base) else Path(env.get("HOME") or Path.home()) / ".config"
    return root / "chatroom" / FILE_NAME


def server_key(host: str, port: int) -> str:
    """``host:port`` (``[::1]:6697`` for IPv6), the key of a remembered server."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class KnownServers:
    """The fingerprints remembered in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, object] | None:
        """The file's entries; ``{}`` if it does not exist, ``None`` if unreadable."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s (%s): every server counts as new", self.path, exc)
            return None
        return data if isinstance(data, dict) else None

    def get(self, host: str, port: int) -> str | None:
        """The fingerprint remembered for ``host:port``, or ``None``."""
        entry = (self._load() or {}).get(server_key(host, port))
        if isinstance(entry, dict) and isinstance(entry.get("sha256"), str):
            return str(entry["sha256"]).upper()
        return None

    def remember(self, host: str, port: int, fingerprint: str) -> None:
        """Add ``host:port`` (atomically: a temporary file renamed over the old
        one). Raises ``OSError`` if the file cannot be written, and refuses to
        replace an unreadable file (that would lose the user's other pins)."""
        data = self._load()
        if data is None:
            raise OSError(f"{self.path} is unreadable; fix or delete it first")
        data[server_key(host, port)] = {
            "sha256": fingerprint,
            "first_seen": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)


async def open_trusted(
    config: ClientConfig,
    emit: Callable[[Event], None],
    ask: Callable[[CertificateUnknown], Awaitable[bool]],
) -> Connection:
    """Open the connection ``config`` describes, checking the certificate as the
    module docstring says: ``emit`` reports what was decided, ``ask`` asks the
    user about a certificate never seen. Raises :class:`ConnectError` (try again
    later) or :class:`CertificateRefused` (stop)."""
    host, port, timeout = config.host, config.port, config.connect_timeout
    if not config.tls or not config.tls_verify:
        return await open_connection(
            host, port, tls=config.tls, verify=config.tls_verify, timeout=timeout
        )
    try:
        return await open_connection(host, port, tls=True, verify=True, timeout=timeout)
    except CertificateUnverified as exc:
        reason = str(exc)
    known = KnownServers(config.known_servers or known_servers_path())
    conn = await open_connection(host, port, tls=True, verify=False, timeout=timeout)
    got = conn.fingerprint or ""
    expected = known.get(host, port)
    if expected is not None and expected == got:
        return conn
    if expected is not None:
        conn.close()
        emit(CertificateChanged(host, port, expected, got, str(known.path)))
        raise CertificateRefused("the server's certificate has changed")
    if not config.trust_new_cert:
        # Nothing is held open while the user thinks it over (servers time out
        # silent connections); the next connection must show the same certificate.
        conn.close()
        if not await ask(CertificateUnknown(host, port, got, reason, str(known.path))):
            raise CertificateRefused("the certificate was not trusted")
        conn = await open_connection(host, port, tls=True, verify=False, timeout=timeout)
        if conn.fingerprint != got:
            conn.close()
            emit(CertificateChanged(host, port, got, conn.fingerprint or "", ""))
            raise CertificateRefused("the server's certificate changed while you decided")
    try:
        known.remember(host, port, got)
    except OSError as exc:
        log.warning("could not remember the certificate of %s: %s", server_key(host, port), exc)
    emit(CertificateTrusted(host, port, got, str(known.path)))
    return conn
