"""Server configuration: defaults, a TOML file, and validation.

Every setting has a default, so the server runs with no file at all. A TOML
file (``--config FILE``) may set any of them; command-line flags override the
file. Keys are grouped in tables; an unknown key or a wrong value is a
:class:`~chatroom.errors.ConfigError` naming the key, e.g.
``config: limits.nicklen: must be an integer from 1 to 200, not 'x'``.

Example (every key, with its default)::

    [server]
    host = "127.0.0.1"
    port = 1060
    name = "chatroom"           # shown as the source of every server reply
    network = "chatroom"
    password = ""               # a server password clients send with PASS; "" = none
    motd = "Welcome to chatroom!"
    motd_file = ""              # a file whose text replaces `motd`
    default_room = "#lobby"     # created at start; our clients join it

    [limits]
    nicklen = 32
    channellen = 64
    topiclen = 390
    awaylen = 390
    kicklen = 390
    realnamelen = 128
    max_channels = 50           # channels one user may be in
    max_targets = 4             # targets of one PRIVMSG/NOTICE
    max_list_entries = 100      # bans, exceptions, invite exceptions per channel
    max_clients = 10000         # 0 = unlimited
    max_per_address = 20        # connections from one IP address; 0 = unlimited
    sendq = 1048576             # bytes queued for a client before it is dropped
    recvq = 65536               # bytes of unprocessed input before "Excess Flood"
    whowas = 1000               # nick records kept for WHOWAS
    monitor = 100               # nicks one client may MONITOR
    multiline_max_bytes = 4096  # bytes of text in one draft/multiline message
    multiline_max_lines = 100   # lines in one draft/multiline message

    [flood]
    enabled = true              # "fakelag": a burst, then a steady rate
    burst = 20                  # lines a client may send at once
    rate = 5.0                  # lines per second after the burst

    [timeouts]
    registration = 30           # seconds to finish NICK/USER/CAP
    ping_interval = 90          # seconds of silence before we PING
    ping_timeout = 120          # further seconds without an answer before disconnect

    [tls]
    enabled = false             # also listen for TLS connections
    port = 6697                 # the TLS port
    cert = ""                   # PEM certificate (chain) file
    key = ""                    # PEM private key file
    self_signed = false         # no cert/key: create a self-signed pair in data_dir
    require_for_remote = false  # plain connections only from this machine (loopback)

    [web]
    enabled = true              # serve the browser client and IRC over WebSocket (/ws)
    port = 8080                 # http://HOST:8080/ opens the chat
    host = ""                   # "" = the same address as [server] host
    allowed_origins = []        # other sites whose pages may connect ("*" = any);
                                # pages served by this server always may
    trusted_proxies = []        # reverse proxies (addresses, CIDR networks) whose
                                # X-Forwarded-For names the client; [] = trust none
    metrics_allow = []          # who else than this machine may read /metrics

    [accounts]
    enabled = true              # accounts (REGISTER, SASL) kept in data_dir/accounts.db
    registration = true         # anyone may create an account with REGISTER
    nick_grace = 30             # seconds to log in before a registered nick is taken back
    plain_needs_tls = false     # refuse SASL PLAIN over plain text from other machines
    hash_concurrency = 0        # password hashes at once (19 MiB each), the rest queue
                                # in order; 0 = one per CPU, at most 3

    [history]
    enabled = true              # store channel and private messages (SQLite)
    data_dir = ""               # where history.db lives; "" = ~/.local/share/chatroom
    max_age_days = 0            # delete messages older than this; 0 = keep forever
    max_per_room = 0            # keep at most this many per room or private chat; 0 = all
    query_limit = 100           # most messages one CHATHISTORY request returns

    [database]
    url = ""                    # postgresql://user:password@host/db for history and
                                # accounts shared by several servers; "" = SQLite files

    [cluster]
    redis = ""                  # redis://host:6379/0: one chat network with every
                                # server sharing that Redis; "" = this server alone;
                                # a Redis Cluster: "redis+cluster://h1:7000,h2:7000"
                                # or a list of its nodes ["h1:7000", "h2:7000"]

    [[operators]]
    name = "admin"
    password = "$argon2id$..."  # a hash from `chatroom passwd`
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from chatroom.errors import ConfigError
from chatroom.protocol.casemap import is_valid_channel
from chatroom.server.addresses import parse_networks


@dataclass(frozen=True)
class Operator:
    """An IRC operator: a name and an argon2 hash of the password."""

    name: str
    password_hash: str


@dataclass(frozen=True)
class Config:
    """All server settings. Build with :func:`load_config` or :func:`dataclasses.replace`."""

    # [server]
    host: str = "127.0.0.1"
    port: int = 1060
    name: str = "chatroom"
    network: str = "chatroom"
    admin_email: str = ""  # shown by ADMIN (259); "" = none given
    password: str = ""
    motd: str = "Welcome to chatroom! Be kind, and have fun."
    motd_file: str = ""
    default_room: str = "#lobby"
    # [limits]
    nicklen: int = 32
    channellen: int = 64
    topiclen: int = 390
    awaylen: int = 390
    kicklen: int = 390
    realnamelen: int = 128
    max_channels: int = 50
    max_targets: int = 4
    max_list_entries: int = 100
    max_clients: int = 10000
    max_per_address: int = 20
    sendq: int = 1_048_576
    recvq: int = 65_536
    whowas: int = 1000
    monitor: int = 100
    multiline_max_bytes: int = 4096
    multiline_max_lines: int = 100
    # [flood]
    flood_enabled: bool = True
    flood_burst: int = 20
    flood_rate: float = 5.0
    # [timeouts]
    registration_timeout: float = 30.0
    ping_interval: float = 90.0
    ping_timeout: float = 120.0
    # [tls]
    tls_enabled: bool = False
    tls_port: int = 6697
    tls_cert: str = ""
    tls_key: str = ""
    tls_self_signed: bool = False
    tls_required_remote: bool = False
    # [web]
    web_enabled: bool = True
    web_port: int = 8080
    web_host: str = ""
    web_allowed_origins: tuple[str, ...] = ()
    web_trusted_proxies: tuple[str, ...] = ()
    web_metrics_allow: tuple[str, ...] = ()
    # [files]: uploads on the web port (soju.im/FILEHOST)
    files_enabled: bool = True
    files_dir: str = ""  # "" = data_dir/files
    files_max_size: int = 25 * 1024 * 1024  # bytes per file
    files_quota: int = 500 * 1024 * 1024  # bytes per account
    files_per_minute: int = 10  # uploads per account per minute
    files_url: str = ""  # the upload URL advertised; "" = the web port's own
    # [accounts]
    accounts_enabled: bool = True
    registration_open: bool = True
    # REGISTER before NICK/USER/CAP END are done (draft/account-registration
    # "before-connect"); false: FAIL REGISTER COMPLETE_CONNECTION_REQUIRED until then.
    registration_before_connect: bool = True
    min_password_length: int = 8  # characters (after SASLprep) of a new account's password
    nick_grace: float = 30.0
    plain_needs_tls: bool = False
    hash_concurrency: int = 0
    # [history]
    history_enabled: bool = True
    data_dir: str = ""
    history_max_age_days: float = 0.0
    history_max_per_room: int = 0
    history_query_limit: int = 100
    redaction_window: int = 900  # seconds a message may be deleted (REDACT) after; 0: always
    # [database]
    database_url: str = ""
    # [cluster]
    cluster_redis: str = ""
    # [[operators]]
    operators: tuple[Operator, ...] = field(default=())

    def motd_text(self) -> str:
        """The message of the day: the file's text if ``motd_file`` is set."""
        if self.motd_file:
            try:
                return Path(self.motd_file).read_text(encoding="utf-8")
            except OSError:
                return self.motd
        return self.motd


# table.key -> (attribute, checker)
_Checker = Callable[[str, Any], Any]


def _int(lo: int, hi: int) -> _Checker:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ConfigError(key, f"must be an integer from {lo} to {hi}, not {value!r}")
        return value

    return check


def _number(lo: float, hi: float) -> _Checker:
    def check(key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise ConfigError(key, f"must be a number from {lo:g} to {hi:g}, not {value!r}")
        return float(value)

    return check


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(key, f"must be true or false, not {value!r}")
    return value


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"must be a string, not {value!r}")
    if any(c in value for c in "\r\0"):
        raise ConfigError(key, "must not contain CR or NUL characters")
    return value


def _word(key: str, value: Any) -> str:
    text = _text(key, value)
    if not text or any(c.isspace() for c in text) or any(c in text for c in ":!@,*?"):
        raise ConfigError(key, f"must be one word without spaces or :!@,*?, not {text!r}")
    return text


def _database_url(key: str, value: Any) -> str:
    text = _text(key, value)
    if text and not text.startswith(("postgresql://", "postgres://")):
        raise ConfigError(key, "must be a postgresql:// URL, or empty for SQLite files")
    return text


def _redis_url(key: str, value: Any) -> str:
    """One Redis (a URL) or a Redis Cluster: a ``redis+cluster://`` URL, or its seed
    nodes (``"h1:7000,h2:7000"`` or ``["h1:7000", …]``, read as that URL). The URL itself
    is checked when the server joins the network (docs/scale-out.md)."""
    if isinstance(value, list):
        if not value or not all(isinstance(seed, str) and ":" in seed for seed in value):
            raise ConfigError(key, 'a list must name the cluster\'s nodes: ["host:port", …]')
        return "redis+cluster://" + ",".join(seed.strip() for seed in value)
    text = _text(key, value)
    if text and "://" not in text and ":" in text:
        return "redis+cluster://" + text  # seed nodes: host:port[,host:port…]
    schemes = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")
    if text and not text.startswith(schemes):
        raise ConfigError(
            key, "must be a redis://, rediss://, unix:// or redis+cluster:// URL, or empty"
        )
    return text


def _room(key: str, value: Any) -> str:
    text = _text(key, value)
    if text and not is_valid_channel(text, 64):
        raise ConfigError(key, f"must be a channel name starting with '#', not {text!r}")
    return text


def _networks(key: str, value: Any) -> tuple[str, ...]:
    """A list of addresses and CIDR networks, kept in their normal form (``10.0.0.0/8``)."""
    example = 'like ["127.0.0.1", "10.0.0.0/8", "::1"]'
    if not isinstance(value, list):
        raise ConfigError(key, f"must be a list of addresses or networks {example}, not {value!r}")
    try:
        return tuple(str(net) for net in parse_networks(_text(key, item) for item in value))
    except ValueError as exc:
        raise ConfigError(key, f"must hold addresses or networks {example}: {exc}") from None


def _origins(key: str, value: Any) -> tuple[str, ...]:
    """A list of web origins (``scheme://host[:port]``, no path) or ``"*"``."""
    if not isinstance(value, list):
        raise ConfigError(
            key, f'must be a list of origins like "https://chat.example.org", not {value!r}'
        )
    out = []
    for item in value:
        text = _text(key, item).strip().rstrip("/").lower()
        scheme, sep, rest = text.partition("://")
        if text != "*" and not (
            sep and scheme in ("http", "https") and rest and not any(c in rest for c in "/ ?#")
        ):
            raise ConfigError(
                key, f'must hold origins like "https://chat.example.org" or "*", not {item!r}'
            )
        out.append(text)
    return tuple(out)


_KEYS: Mapping[str, tuple[str, _Checker]] = {
    "server.host": ("host", _text),
    "server.port": ("port", _int(0, 65535)),
    "server.name": ("name", _word),
    "server.network": ("network", _word),
    "server.admin_email": ("admin_email", _text),
    "server.password": ("password", _text),
    "server.motd": ("motd", _text),
    "server.motd_file": ("motd_file", _text),
    "server.default_room": ("default_room", _room),
    "limits.nicklen": ("nicklen", _int(1, 200)),
    "limits.channellen": ("channellen", _int(2, 200)),
    "limits.topiclen": ("topiclen", _int(1, 4000)),
    "limits.awaylen": ("awaylen", _int(1, 4000)),
    "limits.kicklen": ("kicklen", _int(1, 4000)),
    "limits.realnamelen": ("realnamelen", _int(1, 400)),
    "limits.max_channels": ("max_channels", _int(1, 10_000)),
    "limits.max_targets": ("max_targets", _int(1, 100)),
    "limits.max_list_entries": ("max_list_entries", _int(1, 100_000)),
    "limits.max_clients": ("max_clients", _int(0, 10_000_000)),
    "limits.max_per_address": ("max_per_address", _int(0, 10_000_000)),
    "limits.sendq": ("sendq", _int(4096, 1 << 31)),
    "limits.recvq": ("recvq", _int(1024, 1 << 31)),
    "limits.whowas": ("whowas", _int(0, 1_000_000)),
    "limits.monitor": ("monitor", _int(1, 100_000)),
    "limits.multiline_max_bytes": ("multiline_max_bytes", _int(512, 1 << 20)),
    "limits.multiline_max_lines": ("multiline_max_lines", _int(2, 10_000)),
    "flood.enabled": ("flood_enabled", _bool),
    "flood.burst": ("flood_burst", _int(1, 1_000_000)),
    "flood.rate": ("flood_rate", _number(0.01, 1e9)),
    "timeouts.registration": ("registration_timeout", _number(1, 86400)),
    "timeouts.ping_interval": ("ping_interval", _number(1, 86400)),
    "timeouts.ping_timeout": ("ping_timeout", _number(1, 86400)),
    "tls.enabled": ("tls_enabled", _bool),
    "tls.port": ("tls_port", _int(0, 65535)),
    "tls.cert": ("tls_cert", _text),
    "tls.key": ("tls_key", _text),
    "tls.self_signed": ("tls_self_signed", _bool),
    "tls.require_for_remote": ("tls_required_remote", _bool),
    "web.enabled": ("web_enabled", _bool),
    "web.port": ("web_port", _int(0, 65535)),
    "web.host": ("web_host", _text),
    "web.allowed_origins": ("web_allowed_origins", _origins),
    "web.trusted_proxies": ("web_trusted_proxies", _networks),
    "web.metrics_allow": ("web_metrics_allow", _networks),
    "files.enabled": ("files_enabled", _bool),
    "files.dir": ("files_dir", _text),
    "files.max_size": ("files_max_size", _int(1, 1 << 40)),
    "files.quota": ("files_quota", _int(0, 1 << 50)),
    "files.per_minute": ("files_per_minute", _int(1, 10_000)),
    "files.url": ("files_url", _text),
    "accounts.enabled": ("accounts_enabled", _bool),
    "accounts.registration": ("registration_open", _bool),
    "accounts.registration_before_connect": ("registration_before_connect", _bool),
    "accounts.min_password_length": ("min_password_length", _int(1, 256)),
    "accounts.nick_grace": ("nick_grace", _number(1, 86400)),
    "accounts.plain_needs_tls": ("plain_needs_tls", _bool),
    "accounts.hash_concurrency": ("hash_concurrency", _int(0, 64)),
    "database.url": ("database_url", _database_url),
    "cluster.redis": ("cluster_redis", _redis_url),
    "history.enabled": ("history_enabled", _bool),
    "history.data_dir": ("data_dir", _text),
    "history.max_age_days": ("history_max_age_days", _number(0, 1e6)),
    "history.max_per_room": ("history_max_per_room", _int(0, 1 << 40)),
    "history.query_limit": ("history_query_limit", _int(1, 10_000)),
    "history.redaction_window": ("redaction_window", _int(0, 10 * 365 * 86400)),
}


def _operators(value: Any) -> tuple[Operator, ...]:
    if not isinstance(value, list):
        raise ConfigError("operators", "must be a list of [[operators]] tables")
    out = []
    for i, item in enumerate(value):
        where = f"operators[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(where, "must be a table with name and password")
        unknown = set(item) - {"name", "password"}
        if unknown:
            raise ConfigError(f"{where}.{sorted(unknown)[0]}", "unknown key")
        if "name" not in item or "password" not in item:
            raise ConfigError(where, "needs both name and password (a hash from `chatroom passwd`)")
        name = _word(f"{where}.name", item["name"])
        hashed = _text(f"{where}.password", item["password"])
        if not hashed.startswith("$argon2"):
            raise ConfigError(
                f"{where}.password", "must be an argon2 hash made with `chatroom passwd`"
            )
        out.append(Operator(name, hashed))
    return tuple(out)


def config_from_mapping(data: Mapping[str, Any], base: Config | None = None) -> Config:
    """Apply a parsed TOML document to ``base`` (the defaults if None)."""
    changes: dict[str, Any] = {}
    for table, body in data.items():
        if table == "operators":
            changes["operators"] = _operators(body)
            continue
        if not isinstance(body, dict):
            raise ConfigError(table, "unknown key (settings belong in tables like [server])")
        for key, value in body.items():
            dotted = f"{table}.{key}"
            if dotted not in _KEYS:
                raise ConfigError(dotted, "unknown key")
            attr, check = _KEYS[dotted]
            changes[attr] = check(dotted, value)
    return replace(base or Config(), **changes)


def load_config(path: str | Path | None) -> Config:
    """Read a TOML file into a :class:`Config`; ``None`` gives the defaults."""
    if path is None:
        return Config()
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(str(path), "no such file") from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    return config_from_mapping(data)


#: What a running server cannot take on at a reload (SIGHUP, ``chatroom reload``): the
#: sockets it listens on, where its data lives, what it is called on the network, and
#: limits already promised to clients or built into its stores. A reload keeps the
#: running value and logs the key; a restart applies it.
RESTART_ONLY: tuple[str, ...] = (
    "server.host",
    "server.port",
    "server.name",
    "server.network",
    "limits.nicklen",
    "limits.whowas",
    "tls.enabled",
    "tls.port",
    "tls.self_signed",
    "web.enabled",
    "web.port",
    "web.host",
    "web.trusted_proxies",
    "files.enabled",
    "files.dir",
    "files.url",
    "accounts.enabled",
    "history.enabled",
    "history.data_dir",
    "database.url",
    "cluster.redis",
)


def live_config(running: Config, new: Config) -> tuple[Config, list[str]]:
    """What a reload runs with: ``new``, but with the running value of every
    :data:`RESTART_ONLY` key; and those of them whose value differs (for the log)."""
    kept: dict[str, Any] = {}
    differ = []
    for dotted in RESTART_ONLY:
        attr = _KEYS[dotted][0]
        if getattr(running, attr) != getattr(new, attr):
            differ.append(dotted)
            kept[attr] = getattr(running, attr)
    return replace(new, **kept), differ


def config_keys() -> list[str]:
    """Every ``table.key`` a config file may set (for docs and tests)."""
    return [*_KEYS, "operators"]


def attribute_for(dotted: str) -> str:
    """The :class:`Config` attribute behind a ``table.key``."""
    return _KEYS[dotted][0]


assert {f.name for f in fields(Config)} == {a for a, _ in _KEYS.values()} | {"operators"}
