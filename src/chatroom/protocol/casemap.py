"""Case mapping and the shapes of names (Modern IRC "Nicknames", "Channels").

We advertise ``CASEMAPPING=ascii``: only A-Z fold to a-z. Nicks are ASCII
(letters, digits and ``[]\\`_^{|}-``, not starting with a digit or '-');
channel names may hold any Unicode except space, comma, BELL and control
characters, and start with '#'.
"""

from __future__ import annotations

_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NICK_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz[]\\`_^{|}")
_NICK_REST = _NICK_FIRST | frozenset("0123456789-")
CHANNEL_PREFIXES = "#"
_CHANNEL_FORBIDDEN = frozenset(" ,\x07:") | frozenset(chr(c) for c in range(32)) | {"\x7f"}


def casefold(name: str) -> str:
    """Fold a nick or channel name for comparison (ASCII rules)."""
    return name.translate(_FOLD)


def is_valid_nick(nick: str, max_len: int) -> bool:
    """True if ``nick`` may be used as a nickname."""
    if not nick or len(nick) > max_len or nick[0] not in _NICK_FIRST:
        return False
    return all(c in _NICK_REST for c in nick)


def is_channel_name(name: str) -> bool:
    """True if ``name`` looks like a channel (starts with a channel prefix)."""
    return bool(name) and name[0] in CHANNEL_PREFIXES


def is_valid_channel(name: str, max_len: int) -> bool:
    """True if ``name`` may be used as a channel name (length counts UTF-8 bytes)."""
    if len(name) < 2 or name[0] not in CHANNEL_PREFIXES:
        return False
    if len(name.encode("utf-8")) > max_len:
        return False
    return not any(c in _CHANNEL_FORBIDDEN for c in name)
