"""Private conversations' keys: history files a private conversation under one key made
of the two casefolded nicks, the same for both parties, so it is found from either side."""

from __future__ import annotations

__all__ = ["DM_SEPARATOR", "dm_key", "dm_peer", "dm_peers", "is_dm_key"]

DM_SEPARATOR = ","
"""Inside a private-conversation key. Neither nicks nor channel names may contain a comma
(Modern IRC, "Clients" and "Channels"), so a DM key never collides with a channel key."""


def dm_key(nick_a: str, nick_b: str) -> str:
    """Return the conversation key of the private conversation between two nicks.

    Both nicks must already be casefolded. The key is the two nicks sorted and joined by a
    comma (``dm_key("bob", "alice") == "alice,bob"``), so both parties get the same key; a
    user talking to themself gets ``"alice,alice"``.

    Raises ``ValueError`` if a nick is empty or contains a comma.
    """
    for nick in (nick_a, nick_b):
        if not nick or DM_SEPARATOR in nick:
            raise ValueError(f"not a valid nick for a conversation key: {nick!r}")
    low, high = sorted((nick_a, nick_b))
    return f"{low}{DM_SEPARATOR}{high}"


def is_dm_key(target: str) -> bool:
    """Return whether *target* is a private-conversation key made by :func:`dm_key`."""
    return DM_SEPARATOR in target


def dm_peers(target: str) -> tuple[str, str]:
    """Return the two casefolded nicks of a private-conversation key, in sorted order.

    Raises ``ValueError`` if *target* is not a :func:`dm_key`.
    """
    low, sep, high = target.partition(DM_SEPARATOR)
    if not sep or not low or not high or DM_SEPARATOR in high:
        raise ValueError(f"not a private-conversation key: {target!r}")
    return low, high


def dm_peer(target: str, me: str) -> str:
    """Return the other party of private conversation *target*, as seen by nick *me*.

    This is what the server puts in a ``CHATHISTORY TARGETS`` line for a DM key.
    Raises ``ValueError`` if *me* is not one of the two parties.
    """
    low, high = dm_peers(target)
    if me == low:
        return high
    if me == high:
        return low
    raise ValueError(f"{me!r} is not a party to conversation {target!r}")
