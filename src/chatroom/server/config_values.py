"""The checkers of configuration values (:mod:`chatroom.server.config`'s table): each
takes the dotted key and the value read from TOML and returns the value to keep, or
raises :class:`~chatroom.errors.ConfigError` naming the key and what it must be."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chatroom.errors import ConfigError
from chatroom.protocol.casemap import is_valid_channel
from chatroom.server.addresses import parse_networks

Checker = Callable[[str, Any], Any]


def int_in(lo: int, hi: int) -> Checker:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ConfigError(key, f"must be an integer from {lo} to {hi}, not {value!r}")
        return value

    return check


def number_in(lo: float, hi: float) -> Checker:
    def check(key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise ConfigError(key, f"must be a number from {lo:g} to {hi:g}, not {value!r}")
        return float(value)

    return check


def bool_value(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(key, f"must be true or false, not {value!r}")
    return value


def text_value(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"must be a string, not {value!r}")
    if any(c in value for c in "\r\0"):
        raise ConfigError(key, "must not contain CR or NUL characters")
    return value


def word(key: str, value: Any) -> str:
    text = text_value(key, value)
    if not text or any(c.isspace() for c in text) or any(c in text for c in ":!@,*?"):
        raise ConfigError(key, f"must be one word without spaces or :!@,*?, not {text!r}")
    return text


def database_url(key: str, value: Any) -> str:
    text = text_value(key, value)
    if text and not text.startswith(("postgresql://", "postgres://")):
        raise ConfigError(key, "must be a postgresql:// URL, or empty for SQLite files")
    return text


def redis_url(key: str, value: Any) -> str:
    """One Redis (a URL) or a Redis Cluster: a ``redis+cluster://`` URL, or its seed
    nodes (``"h1:7000,h2:7000"`` or ``["h1:7000", …]``, read as that URL). The URL itself
    is checked when the server joins the network (docs/scale-out.md)."""
    if isinstance(value, list):
        if not value or not all(isinstance(seed, str) and ":" in seed for seed in value):
            raise ConfigError(key, 'a list must name the cluster\'s nodes: ["host:port", …]')
        return "redis+cluster://" + ",".join(seed.strip() for seed in value)
    text = text_value(key, value)
    if text and "://" not in text and ":" in text:
        return "redis+cluster://" + text  # seed nodes: host:port[,host:port…]
    schemes = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")
    if text and not text.startswith(schemes):
        raise ConfigError(
            key, "must be a redis://, rediss://, unix:// or redis+cluster:// URL, or empty"
        )
    return text


def room(key: str, value: Any) -> str:
    text = text_value(key, value)
    if text and not is_valid_channel(text, 64):
        raise ConfigError(key, f"must be a channel name starting with '#', not {text!r}")
    return text


def networks(key: str, value: Any) -> tuple[str, ...]:
    """A list of addresses and CIDR networks, kept in their normal form (``10.0.0.0/8``)."""
    example = 'like ["127.0.0.1", "10.0.0.0/8", "::1"]'
    if not isinstance(value, list):
        raise ConfigError(key, f"must be a list of addresses or networks {example}, not {value!r}")
    try:
        return tuple(str(net) for net in parse_networks(text_value(key, item) for item in value))
    except ValueError as exc:
        raise ConfigError(key, f"must hold addresses or networks {example}: {exc}") from None


def origins(key: str, value: Any) -> tuple[str, ...]:
    """A list of web origins (``scheme://host[:port]``, no path) or ``"*"``."""
    if not isinstance(value, list):
        raise ConfigError(
            key, f'must be a list of origins like "https://chat.example.org", not {value!r}'
        )
    out = []
    for item in value:
        text = text_value(key, item).strip().rstrip("/").lower()
        scheme, sep, rest = text.partition("://")
        if text != "*" and not (
            sep and scheme in ("http", "https") and rest and not any(c in rest for c in "/ ?#")
        ):
            raise ConfigError(
                key, f'must hold origins like "https://chat.example.org" or "*", not {item!r}'
            )
        out.append(text)
    return tuple(out)
