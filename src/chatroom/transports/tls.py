"""TLS for the IRC listener: server contexts, and a self-signed certificate for a quick start.

``chatroom server --tls`` needs no files: the first start creates a private key
and a self-signed certificate in the data directory (with the `cryptography`
library) and reuses them afterwards, so the fingerprint clients remember stays
the same. Real deployments pass ``--cert`` and ``--key`` (e.g. from Let's Encrypt).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import socket
import ssl
from pathlib import Path

from chatroom.errors import ConfigError

SELF_SIGNED_CERT = "tls-cert.pem"
SELF_SIGNED_KEY = "tls-key.pem"
HANDSHAKE_TIMEOUT = 10.0
"""Seconds a client has to finish the TLS handshake; a stalled one is dropped alone."""


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 or newer) for ``cert`` and ``key`` (PEM files).

    Raises :class:`ConfigError` naming the file when it cannot be used.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(cert), str(key))
    except FileNotFoundError as exc:
        raise ConfigError("tls", f"no such file: {exc.filename}") from None
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError("tls", f"cannot use {cert} and {key}: {exc}") from None
    return context


def ensure_self_signed(directory: Path, hostname: str | None = None) -> tuple[Path, Path]:
    """Create (once) a self-signed certificate and key in ``directory``; return their paths.

    The key file is readable by its owner only.
    """
    cert_path = directory / SELF_SIGNED_CERT
    key_path = directory / SELF_SIGNED_KEY
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    # Imported here: cryptography weighs about 10 MB and 40 ms, and only this needs it.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = hostname or socket.gethostname() or "localhost"
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    alt_names: list[x509.GeneralName] = [
        x509.DNSName(name),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def fingerprint(cert: Path) -> str:
    """The SHA-256 fingerprint of a PEM certificate, as clients show it (AA:BB:...)."""
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
