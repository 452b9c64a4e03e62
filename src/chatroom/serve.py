"""Run a chat server process: startup, main loop, ordered shutdown.

Reads top to bottom like the life of the process::

    run(config)            choose the event loop (uvloop on Linux) and go
      serve(config)        start listeners, then wait for a stop request
        startup            listeners, "Listening at HOST:PORT", "Web chat at URL"
        main loop          until `q` on the console, SIGINT or SIGTERM; SIGHUP
                           re-reads the configuration (_Reloader)
        shutdown           in a fixed order (below)

Shutdown order: stop accepting (IRC and web listeners); send every client
``ERROR :<reason>`` and close it (WebSocket clients too); wait (briefly) for the
transports to finish writing, then for the web listener's handlers; close
storage; flush logs. A second SIGINT/SIGTERM during shutdown exits at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from chatroom.errors import ConfigError
from chatroom.operate import open_control
from chatroom.server.addresses import parse_networks
from chatroom.server.collector import settle as settle_collector
from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.metrics import LoopLag
from chatroom.server.persistence import restore as restore_persistent
from chatroom.server.reload import reconfigure
from chatroom.server.server import Server
from chatroom.stopping import StopRequest, install_signals, watch_input
from chatroom.storage import (
    HistoryStore,
    RetentionPolicy,
    StorageError,
    default_data_dir,
    run_retention,
)
from chatroom.storage.accounts import AccountStore
from chatroom.storage.accounts_sqlite import open_accounts
from chatroom.storage.passwords import use_concurrency
from chatroom.storage.sqlite import open_history
from chatroom.transports.tcp import Listener, listen
from chatroom.transports.tls import ensure_self_signed, fingerprint, server_context

if TYPE_CHECKING:
    from chatroom.cluster.bridge import RedisBridge
    from chatroom.web.listener import WebListener
    from chatroom.web.port import WebPort

log = logging.getLogger("chatroom.server")

SHUTDOWN_GRACE = 2.0  # seconds to let clients receive their ERROR line


def run(
    config: Config,
    *,
    console: bool = True,
    worker: bool = False,
    load: Callable[[], Config] | None = None,
) -> int:
    """Serve until told to stop; return the process exit code.

    ``worker``: this process is one of ``--workers`` (:mod:`chatroom.workers`): it
    listens with SO_REUSEPORT beside its siblings, has no console, and stops when
    its standard input (a pipe from the parent) closes, so it never outlives it.
    ``load``: reads the configuration again (the file and the flags) for a reload;
    without it a reload keeps ``config``.
    """
    return _run_loop(serve(config, console=console, worker=worker, load=load))


def _run_loop(coro: Coroutine[Any, Any, int]) -> int:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a Linux/macOS dependency
        return asyncio.run(coro)
    return uvloop.run(coro)


class _Reloader:
    """Re-reads the configuration (SIGHUP, ``chatroom reload``) and applies what can
    change live: the core's part (:func:`~chatroom.server.reload.reconfigure`), the
    TLS certificate of new connections, the web port's allowed origins.

    A configuration with an error is refused whole, before anything changes: the
    error is logged in the one-line form of the start, the running one stays.
    """

    def __init__(
        self,
        server: Server,
        load: Callable[[], Config],
        tls: ssl.SSLContext | None,
        web: WebPort | None,
    ) -> None:
        self.server = server
        self.load = load
        self.tls = tls
        self.web = web

    def reload(self) -> tuple[bool, str]:
        """Reload; return whether it was applied, and the line logged about it."""
        try:
            new = self.load()
            cert = _tls_files(new) if self.tls is not None else None
            if cert is not None:
                server_context(*cert)  # a pair that cannot be used fails here, not live
        except ConfigError as exc:
            log.error("Reload refused, the running configuration stays: %s", exc)
            return False, f"refused: {exc}"
        pending = reconfigure(self.server, new)
        if cert is not None and self.tls is not None:
            # New handshakes use the new pair; established connections keep theirs.
            self.tls.load_cert_chain(str(cert[0]), str(cert[1]))
        if self.web is not None:
            self.web.allowed_origins = self.server.config.web_allowed_origins
        if pending:
            log.warning(
                "Reload: %s changed, which takes a restart: the running value stays",
                ", ".join(pending),
            )
        log.info("Configuration reloaded")
        return True, "reloaded" + (f"; needs a restart: {', '.join(pending)}" if pending else "")


async def serve(
    config: Config,
    *,
    console: bool = True,
    worker: bool = False,
    load: Callable[[], Config] | None = None,
) -> int:
    """Start the server, run it until a stop request, shut down in order."""
    loop = asyncio.get_running_loop()
    # -- startup
    use_concurrency(config.hash_concurrency)  # before anything hashes a password
    stores = await _open_stores(config)
    if stores is None:
        return 1
    history, accounts = stores
    server = await _make_server(config, loop, history, accounts)
    network = await _join_network(server, config)
    if network is False:
        await _close_stores(history, accounts)
        return 1
    # Signals and the control socket before the listeners: a stop, a reload or
    # `chatroom status` sent as soon as "Listening at" is logged is answered.
    stop = StopRequest()
    reloader = _Reloader(server, load or (lambda: config), None, None)
    restore = install_signals(loop, stop.request, reloader.reload)
    # With --workers, each process would claim the same path: the parent passes
    # SIGHUP on instead (`systemctl reload`), and there is no `chatroom status`.
    close_control = None if worker else await open_control(server, config, reloader.reload, history)
    try:
        tls = reloader.tls = _tls_context(config)
        listeners = await _listen_all(server, config, tls, worker)
    except (OSError, ConfigError) as exc:
        if close_control is not None:
            close_control()
        if network is not None:
            await network.close("Server went away")
        await _close_stores(history, accounts)
        restore()
        if isinstance(exc, ConfigError):
            raise
        return 1
    web = reloader.web = await _start_web(server, config, tls, listeners)
    lag = LoopLag(server.metrics, loop)
    lag.start()
    retention = _start_retention(history, config)
    if os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() == 0:
        log.warning("Running as root: it works, but a dedicated user is safer")
    server.start()
    settle_collector()  # what the start allocated is out of the collector's way
    reader = watch_input(loop, stop.request, worker=worker, console=console)
    # -- main loop
    try:
        await stop.event.wait()
    finally:
        # -- shutdown, in order
        if reader is not None:
            loop.remove_reader(reader)
        log.info("Closing all connections...")
        if close_control is not None:
            close_control()
        for listener in listeners:
            listener.close()
        if web is not None:
            web.close()
        server.shutdown(stop.reason)  # WebSocket sessions get the same ERROR line
        await server.wait_closed(SHUTDOWN_GRACE)
        await server.finish_tasks(SHUTDOWN_GRACE)  # e.g. a room's last change being saved
        if network is not None:
            await network.close(stop.reason)  # the other processes see our users quit
        if web is not None:
            await web.wait_closed(SHUTDOWN_GRACE)
        if retention is not None:
            retention.cancel()
        lag.stop()
        await _close_stores(history, accounts)  # flushes: a graceful shutdown loses nothing
        log.info("Shutting down the server...")
        restore()
    return 0


async def _listen_all(
    server: Server, config: Config, tls: ssl.SSLContext | None, worker: bool
) -> list[Listener]:
    """The IRC listeners: plain, and TLS when on; those opened are closed if one fails."""
    listeners: list[Listener] = []
    try:
        listeners.append(await _listen(server, config.host, config.port, None, worker))
        if tls is not None:
            listeners.append(await _listen(server, config.host, config.tls_port, tls, worker))
    except (OSError, ConfigError):
        for listener in listeners:
            listener.close()
        raise
    return listeners


async def _make_server(
    config: Config,
    loop: asyncio.AbstractEventLoop,
    history: HistoryStore | None,
    accounts: AccountStore | None,
) -> Server:
    """The core, with the registered rooms and server bans of the account store."""
    server = Server(config, loop, history, accounts, commands=COMMANDS)
    try:
        await restore_persistent(server)
    except StorageError as exc:
        log.error("Could not restore registered rooms and bans: %s", exc)
    return server


async def _open_stores(
    config: Config,
) -> tuple[HistoryStore | None, AccountStore | None] | None:
    """Open message history and accounts (each unless turned off), in SQLite files in
    the data directory or, with ``[database] url``, in PostgreSQL; None after logging
    why one could not be opened."""
    history: HistoryStore | None = None
    accounts: AccountStore | None = None
    data_dir = config.data_dir or None
    url = config.database_url
    try:
        if url:
            # Imported here: a server on SQLite never loads the PostgreSQL driver.
            from chatroom.storage.accounts_postgres import PostgresAccountStore
            from chatroom.storage.postgres import PostgresHistoryStore

            if config.history_enabled:
                history = await PostgresHistoryStore.open(url)
            if config.accounts_enabled:
                accounts = await PostgresAccountStore.open(url, nick_length=config.nicklen)
            log.info("History and accounts are kept in PostgreSQL")
        else:
            if config.history_enabled:
                store = await open_history(data_dir)
                log.info("History is kept in %s", store.path)
                history = store
            if config.accounts_enabled:
                accounts = await open_accounts(data_dir, nick_length=config.nicklen)
    except StorageError as exc:
        what = "the message history" if history is None else "the accounts"
        log.error("Could not open %s: %s", what, exc)
        log.error("Fix or move that file, choose another --data-dir, or check --database.")
        await _close_stores(history, None)
        return None
    return history, accounts


async def _join_network(server: Server, config: Config) -> RedisBridge | Literal[False] | None:
    """With ``[cluster] redis``, join the network in Redis and give the server its
    bridge; None without it; False after logging why Redis could not be used."""
    if not config.cluster_redis:
        return None
    # Imported here: a server on its own never loads the Redis client.
    from redis.exceptions import RedisError

    from chatroom.cluster.bridge import ClusterError, RedisBridge
    from chatroom.cluster.secret import share_token_secret

    try:
        bridge = await RedisBridge.open(config.cluster_redis, server)
    except ClusterError as exc:
        log.error("Could not join the network: %s", exc)
        return False
    server.network = bridge
    try:
        # Any process then takes the others' upload tokens.
        await share_token_secret(bridge.redis, server)
    except (RedisError, OSError) as exc:  # the chat works; uploads take local tokens
        log.warning("Upload tokens are this process's only: %s", exc)
    return bridge


async def _close_stores(history: HistoryStore | None, accounts: AccountStore | None) -> None:
    if history is not None:
        await history.close()
    if accounts is not None:
        await accounts.close()


async def _listen(
    server: Server, host: str, port: int, tls: ssl.SSLContext | None, reuse_port: bool = False
) -> Listener:
    """Start one listener and log where (the tutorial's "Listening at ..." line)."""
    try:
        listener = await listen(server, host, port, ssl=tls, reuse_port=reuse_port)
    except OSError as exc:
        log.error("Could not listen at %s:%s: %s", host, port, exc.strerror or exc)
        raise
    for sock in listener.sockets:
        bound_host, bound_port = sock.getsockname()[:2]
        if tls is None:
            log.info("Listening at %s:%s", bound_host, bound_port)
        else:
            log.info("Listening for TLS at %s:%s", bound_host, bound_port)
    return listener


async def _start_web(
    server: Server, config: Config, tls: ssl.SSLContext | None, listeners: list[Listener]
) -> WebPort | None:
    """Serve the browser client and IRC over WebSocket on ``[web]``, unless turned off;
    with ``[tls]`` on, the web port speaks HTTPS and WSS with the same certificate.
    The same port answers ``/healthz``, ``/readyz`` (are ``listeners`` up?) and
    ``/metrics`` (:mod:`chatroom.web.operations`). The port is bound now; what serves
    it (websockets) is imported at its first connection (:mod:`chatroom.web.port`).

    A web port that cannot be bound is logged, not fatal: IRC clients can still
    connect.
    """
    if not config.web_enabled:
        return None
    from chatroom.web.filehost import start_upkeep, uploads_for
    from chatroom.web.port import WebPort, bind

    host = config.web_host or config.host
    try:
        sockets = await bind(host, config.web_port)
    except OSError as exc:
        log.error(
            "Could not serve the web chat at %s:%s: %s (IRC clients can still connect; "
            "choose another --web-port, or --no-web)",
            host,
            config.web_port,
            exc.strerror or exc,
        )
        return None
    uploads = uploads_for(server, secure=tls is not None)

    def load() -> WebListener:
        from chatroom.transports.websocket import IrcOverWebSocket
        from chatroom.web.listener import WebListener
        from chatroom.web.operations import Operations

        operations = Operations(
            server,
            listening=lambda: all(listener.sockets for listener in listeners),
            metrics_allow=config.web_metrics_allow,
            proxies=parse_networks(config.web_trusted_proxies),
        )
        return WebListener(
            server, IrcOverWebSocket(), ssl=tls, operations=operations, uploads=uploads
        )

    web = WebPort(sockets, load, secure=tls is not None, allowed_origins=config.web_allowed_origins)
    web.start()
    for url in web.urls:
        log.info("Web chat at %s", url)
    if uploads is not None:
        web.upkeep = start_upkeep(server, uploads, web.urls)
    return web


def _tls_context(config: Config) -> ssl.SSLContext | None:
    """The TLS context for ``[tls]``, creating a self-signed pair when asked; None if off."""
    if not config.tls_enabled:
        return None
    files = _tls_files(config)
    if files is None:
        directory = Path(config.data_dir) if config.data_dir else default_data_dir()
        files = ensure_self_signed(directory)
        log.info("Using the self-signed certificate %s", files[0])
        log.info("Its SHA-256 fingerprint (clients will show it): %s", fingerprint(files[0]))
    return server_context(*files)


def _tls_files(config: Config) -> tuple[Path, Path] | None:
    """``[tls]``'s certificate and key files; None for the self-signed pair."""
    if config.tls_cert and config.tls_key:
        return Path(config.tls_cert), Path(config.tls_key)
    if config.tls_self_signed:
        return None
    raise ConfigError(
        "tls.enabled", "needs tls.cert and tls.key, or tls.self_signed = true (--tls)"
    )


def _start_retention(history: HistoryStore | None, config: Config) -> asyncio.Task[None] | None:
    """Keep deleting history past its configured age or count, if any is configured."""
    if history is None:
        return None
    policy = RetentionPolicy(
        max_age=timedelta(days=config.history_max_age_days)
        if config.history_max_age_days
        else None,
        max_per_target=config.history_max_per_room or None,
    )
    if not policy.enabled:
        return None
    return asyncio.get_running_loop().create_task(run_retention(history, policy))
