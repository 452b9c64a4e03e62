"""Client addresses."""

from __future__ import annotations

import ipaddress


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8 and ::1 (and IPv4-mapped loopback)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def host_of(address: str) -> str:
    """The host shown for a client at ``address``: the address itself, but an IPv6
    address starting with ':' (``::1``) gets a leading '0', since a host starting
    with ':' would break the ``nick!user@host`` prefix (Modern IRC)."""
    return "0" + address if address.startswith(":") else address


def address_of(host: str) -> str:
    """The address behind a host made by :func:`host_of` (for a user of another
    process, whose address is known by its host only)."""
    return host[1:] if host.startswith("0:") else host
