"""IRCv3 capability negotiation helpers (https://ircv3.net/specs/extensions/capability-negotiation).

Pure functions over cap names; the session keeps which caps are enabled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# The capabilities this server offers, with their CAP LS 302 values.
SUPPORTED: Mapping[str, str] = {
    "account-notify": "",
    "account-tag": "",
    "away-notify": "",
    "batch": "",
    "cap-notify": "",
    # https://ircv3.net/specs/extensions/no-implicit-names: no NAMES after a JOIN.
    # https://ircv3.net/specs/extensions/message-redaction: REDACT
    # (server/commands/redaction.py).
    "draft/message-redaction": "",
    "draft/no-implicit-names": "",
    # https://ircv3.net/specs/extensions/pre-away: AWAY before registration ends.
    "draft/pre-away": "",
    # https://ircv3.net/specs/extensions/read-marker: MARKREAD (server/commands/readmarker.py).
    "draft/read-marker": "",
    "echo-message": "",
    "extended-join": "",
    "extended-monitor": "",
    "invite-notify": "",
    "labeled-response": "",
    "message-tags": "",
    "multi-prefix": "",
    "server-time": "",
    "setname": "",
    "standard-replies": "",
    "userhost-in-names": "",
}


def ls_entries(offered: Mapping[str, str], version: int) -> list[str]:
    """The entries of a CAP LS reply: ``name`` or, from version 302, ``name=value``."""
    out = []
    for name, value in offered.items():
        out.append(f"{name}={value}" if value and version >= 302 else name)
    return out


def pack_entries(entries: Iterable[str], budget: int) -> list[str]:
    """Join cap entries into space-separated chunks of at most ``budget`` bytes each,
    for the multi-line form of CAP LS / LIST."""
    chunks: list[str] = []
    current = ""
    for entry in entries:
        candidate = f"{current} {entry}" if current else entry
        if current and len(candidate.encode()) > budget:
            chunks.append(current)
            current = entry
        else:
            current = candidate
    chunks.append(current)
    return chunks


def parse_request(text: str, offered: Mapping[str, str]) -> list[tuple[str, bool]] | None:
    """Parse a CAP REQ argument into (name, enable) pairs.

    Returns ``None`` if any requested cap is unknown: the spec says the whole
    request is then refused (NAK) and nothing changes.
    """
    out: list[tuple[str, bool]] = []
    for item in text.split():
        enable = not item.startswith("-")
        name = item.lstrip("-")
        if name not in offered:
            return None
        out.append((name, enable))
    return out if out else None
