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
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from chatroom.errors import ConfigError
from chatroom.server.config_values import (
    Checker,
    bool_value,
    database_url,
    int_in,
    networks,
    number_in,
    origins,
    redis_url,
    room,
    text_value,
    word,
)


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
    files_guests: bool = False  # sessions without an account may upload (EXTJWT tokens)
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
_KEYS: Mapping[str, tuple[str, Checker]] = {
    "server.host": ("host", text_value),
    "server.port": ("port", int_in(0, 65535)),
    "server.name": ("name", word),
    "server.network": ("network", word),
    "server.admin_email": ("admin_email", text_value),
    "server.password": ("password", text_value),
    "server.motd": ("motd", text_value),
    "server.motd_file": ("motd_file", text_value),
    "server.default_room": ("default_room", room),
    "limits.nicklen": ("nicklen", int_in(1, 200)),
    "limits.channellen": ("channellen", int_in(2, 200)),
    "limits.topiclen": ("topiclen", int_in(1, 4000)),
    "limits.awaylen": ("awaylen", int_in(1, 4000)),
    "limits.kicklen": ("kicklen", int_in(1, 4000)),
    "limits.realnamelen": ("realnamelen", int_in(1, 400)),
    "limits.max_channels": ("max_channels", int_in(1, 10_000)),
    "limits.max_targets": ("max_targets", int_in(1, 100)),
    "limits.max_list_entries": ("max_list_entries", int_in(1, 100_000)),
    "limits.max_clients": ("max_clients", int_in(0, 10_000_000)),
    "limits.max_per_address": ("max_per_address", int_in(0, 10_000_000)),
    "limits.sendq": ("sendq", int_in(4096, 1 << 31)),
    "limits.recvq": ("recvq", int_in(1024, 1 << 31)),
    "limits.whowas": ("whowas", int_in(0, 1_000_000)),
    "limits.monitor": ("monitor", int_in(1, 100_000)),
    "limits.multiline_max_bytes": ("multiline_max_bytes", int_in(512, 1 << 20)),
    "limits.multiline_max_lines": ("multiline_max_lines", int_in(2, 10_000)),
    "flood.enabled": ("flood_enabled", bool_value),
    "flood.burst": ("flood_burst", int_in(1, 1_000_000)),
    "flood.rate": ("flood_rate", number_in(0.01, 1e9)),
    "timeouts.registration": ("registration_timeout", number_in(1, 86400)),
    "timeouts.ping_interval": ("ping_interval", number_in(1, 86400)),
    "timeouts.ping_timeout": ("ping_timeout", number_in(1, 86400)),
    "tls.enabled": ("tls_enabled", bool_value),
    "tls.port": ("tls_port", int_in(0, 65535)),
    "tls.cert": ("tls_cert", text_value),
    "tls.key": ("tls_key", text_value),
    "tls.self_signed": ("tls_self_signed", bool_value),
    "tls.require_for_remote": ("tls_required_remote", bool_value),
    "web.enabled": ("web_enabled", bool_value),
    "web.port": ("web_port", int_in(0, 65535)),
    "web.host": ("web_host", text_value),
    "web.allowed_origins": ("web_allowed_origins", origins),
    "web.trusted_proxies": ("web_trusted_proxies", networks),
    "web.metrics_allow": ("web_metrics_allow", networks),
    "files.enabled": ("files_enabled", bool_value),
    "files.dir": ("files_dir", text_value),
    "files.max_size": ("files_max_size", int_in(1, 1 << 40)),
    "files.quota": ("files_quota", int_in(0, 1 << 50)),
    "files.per_minute": ("files_per_minute", int_in(1, 10_000)),
    "files.url": ("files_url", text_value),
    "files.guests": ("files_guests", bool_value),
    "accounts.enabled": ("accounts_enabled", bool_value),
    "accounts.registration": ("registration_open", bool_value),
    "accounts.registration_before_connect": ("registration_before_connect", bool_value),
    "accounts.min_password_length": ("min_password_length", int_in(1, 256)),
    "accounts.nick_grace": ("nick_grace", number_in(1, 86400)),
    "accounts.plain_needs_tls": ("plain_needs_tls", bool_value),
    "accounts.hash_concurrency": ("hash_concurrency", int_in(0, 64)),
    "database.url": ("database_url", database_url),
    "cluster.redis": ("cluster_redis", redis_url),
    "history.enabled": ("history_enabled", bool_value),
    "history.data_dir": ("data_dir", text_value),
    "history.max_age_days": ("history_max_age_days", number_in(0, 1e6)),
    "history.max_per_room": ("history_max_per_room", int_in(0, 1 << 40)),
    "history.query_limit": ("history_query_limit", int_in(1, 10_000)),
    "history.redaction_window": ("redaction_window", int_in(0, 10 * 365 * 86400)),
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
        name = word(f"{where}.name", item["name"])
        hashed = text_value(f"{where}.password", item["password"])
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
    "files.guests",  # whether uploads run at all without accounts is decided at start
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
