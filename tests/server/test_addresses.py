"""Client addresses: display forms, and X-Forwarded-For from trusted proxies only."""

from __future__ import annotations

import pytest

from chatroom.server.addresses import (
    address_of,
    forwarded_for,
    host_of,
    is_trusted_proxy,
    parse_networks,
)

PROXIES = parse_networks(["127.0.0.1", "10.0.0.0/8", "::1"])


def test_host_of_and_back() -> None:
    assert host_of("::1") == "0::1" and address_of("0::1") == "::1"
    assert host_of("192.0.2.1") == "192.0.2.1" == address_of("192.0.2.1")


def test_parse_networks_takes_addresses_and_cidr() -> None:
    assert [str(n) for n in PROXIES] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert [str(n) for n in parse_networks(["10.1.2.3/8"])] == ["10.0.0.0/8"]
    with pytest.raises(ValueError, match=r"'proxy\.example' is not an address or a network"):
        parse_networks(["proxy.example"])


def test_the_header_of_an_untrusted_peer_is_ignored() -> None:
    # Anyone can send X-Forwarded-For: only a trusted proxy's is believed.
    assert forwarded_for("192.0.2.9", ["198.51.100.1"], PROXIES) == "192.0.2.9"
    assert forwarded_for("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"
    assert not is_trusted_proxy("192.0.2.9", PROXIES)
    assert is_trusted_proxy("::ffff:127.0.0.1", PROXIES)  # IPv4-mapped


def test_the_right_most_untrusted_address_is_the_client() -> None:
    assert forwarded_for("127.0.0.1", ["198.51.100.1"], PROXIES) == "198.51.100.1"
    # The client made up the first entry; the proxies appended the rest.
    chain = ["6.6.6.6, 198.51.100.1, 10.2.3.4"]
    assert forwarded_for("127.0.0.1", chain, PROXIES) == "198.51.100.1"
    # Several headers are one list, in order (RFC 9110 §5.3).
    assert forwarded_for("10.0.0.1", ["6.6.6.6", "198.51.100.1,10.9.9.9"], PROXIES) == (
        "198.51.100.1"
    )
    assert forwarded_for("::1", ["2001:db8::5"], PROXIES) == "2001:db8::5"


def test_odd_chains() -> None:
    # No header from a trusted proxy: the proxy itself is the client.
    assert forwarded_for("127.0.0.1", [], PROXIES) == "127.0.0.1"
    # Every hop trusted: the left-most one is the client.
    assert forwarded_for("127.0.0.1", ["10.0.0.7, 10.0.0.8"], PROXIES) == "10.0.0.7"
    # Garbage stops the walk at the proxy that passed it on.
    assert forwarded_for("127.0.0.1", ["198.51.100.1, unknown, 10.0.0.8"], PROXIES) == ("10.0.0.8")
    assert forwarded_for("127.0.0.1", ["<script>"], PROXIES) == "127.0.0.1"
    # Ports, as some proxies write them.
    assert forwarded_for("127.0.0.1", ["198.51.100.1:4711"], PROXIES) == "198.51.100.1"
    assert forwarded_for("127.0.0.1", ["[2001:db8::5]:4711"], PROXIES) == "2001:db8::5"
