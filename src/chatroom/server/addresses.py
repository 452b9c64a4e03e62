"""Client addresses, and who a connection through a trusted reverse proxy comes from."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """Addresses (``10.0.0.5``, ``::1``) and CIDR networks (``10.0.0.0/8``) as networks;
    raises ``ValueError`` naming the first item that is neither."""
    out = []
    for item in items:
        try:
            out.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an address or a network") from None
    return tuple(out)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as a proxy may write it: bare, ``[v6]``, ``[v6]:port`` or ``v4:port``;
    an IPv4-mapped IPv6 address as its IPv4 address. None if it is none of these."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[Network]) -> bool:
    return any(ip.version == net.version and ip in net for net in proxies)


def is_trusted_proxy(peer: str, proxies: Sequence[Network]) -> bool:
    """Is ``peer`` one of the trusted reverse proxies?"""
    ip = _ip(peer)
    return ip is not None and _trusted(ip, proxies)


def forwarded_for(peer: str, headers: Sequence[str], proxies: Sequence[Network]) -> str:
    """The address of the client behind ``peer``, given the ``X-Forwarded-For`` header
    values of its request (in order) and the networks of the trusted proxies.

    A peer that is not a trusted proxy is the client: its header is ignored, since
    anyone can write one. Otherwise the chain is read from the right (each proxy
    appends the address it received from), skipping trusted proxies: the right-most
    untrusted address is the client, as everything to its left was written by it.
    When every address is trusted, the left-most one is; an entry that is not an
    address ends the walk at the proxy that wrote it (its right neighbour).
    """
    ip = _ip(peer)
    if ip is None or not _trusted(ip, proxies):
        return peer
    chain = [part for value in headers for part in value.split(",") if part.strip()]
    client = str(ip)
    for entry in reversed(chain):
        hop = _ip(entry)
        if hop is None:
            break
        client = str(hop)
        if not _trusted(hop, proxies):
            break
    return client
