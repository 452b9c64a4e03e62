"""The Prometheus exposition of a server's :class:`~chatroom.server.metrics.Metrics`.

Nothing here runs on the hot path: the core adds to plain numbers, and a scrape reads
them through a collector made with the ``prometheus-client`` library (which writes
the text format). The library is imported on the first scrape only (it costs about
60 ms of start-up otherwise, for a server that may never be scraped).

The metrics (all prefixed ``chatroom_``) are listed in docs/deploy.md ("Metrics").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from chatroom.server.metrics import STORE_BUCKETS
from chatroom.server.server import Server

if TYPE_CHECKING:  # the library itself is imported on the first scrape
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import CollectorRegistry

    from chatroom.server.session import Session

TRANSPORTS = ("tcp", "tls", "websocket")
"""The ``transport`` label of ``chatroom_clients``: plain IRC, IRC over TLS, WebSocket."""


def transport_of(session: Session) -> str:
    """``websocket`` (secure or not), ``tls`` or ``tcp``."""
    kind = getattr(session.transport, "kind", "tcp")
    if kind == "tcp" and session.secure:
        return "tls"
    return str(kind)


class Exporter:
    """Renders the metrics of one server; :meth:`render` is what ``/metrics`` sends."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self._registry: CollectorRegistry | None = None

    @property
    def content_type(self) -> str:
        from prometheus_client import CONTENT_TYPE_LATEST

        return CONTENT_TYPE_LATEST

    def render(self) -> bytes:
        """The text exposition format, as of now."""
        from prometheus_client import generate_latest

        if self._registry is None:
            self._registry = _registry(self)
        return generate_latest(self._registry)

    def collect(self) -> Iterator[Metric]:
        """The metric families, read from the server now (a prometheus-client collector)."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        server = self.server
        m = server.metrics

        def counter(name: str, doc: str, value: float) -> Metric:
            return CounterMetricFamily(f"chatroom_{name}", doc, value=value)

        def gauge(name: str, doc: str, value: float) -> Metric:
            return GaugeMetricFamily(f"chatroom_{name}", doc, value=value)

        clients = GaugeMetricFamily(
            "chatroom_clients", "Open client connections, by transport", labels=["transport"]
        )
        kinds = Counter(transport_of(session) for session in server.sessions)
        for kind in TRANSPORTS:
            clients.add_metric([kind], kinds.get(kind, 0))
        yield clients
        yield gauge("users", "Registered users on this process", len(server.users))
        yield gauge("channels", "Channels that exist on this process", len(server.channels))
        yield counter("registrations", "Connections that completed registration", m.registrations)
        yield counter("messages_relayed", "PRIVMSG/NOTICE/TAGMSG relayed, per target", m.relays)
        yield counter("message_deliveries", "Copies of relayed messages queued", m.deliveries)
        yield counter(
            "sendq_drops", "Connections cut because their SendQ overflowed", m.sendq_drops
        )
        yield counter("flood_delays", "Times flood control made a client wait", m.flood_delays)
        logins = CounterMetricFamily(
            "chatroom_logins", "SASL and OPER logins, by result", labels=["result"]
        )
        logins.add_metric(["success"], m.logins_ok)
        logins.add_metric(["failure"], m.logins_failed)
        logins.add_metric(["throttled"], m.logins_throttled)
        yield logins
        yield from self._history()
        if m.network_reachable is not None:
            yield counter("redis_published", "Events sent to Redis", m.network_published)
            yield counter("redis_received", "Events of other processes read", m.network_received)
            yield gauge("redis_up", "1 while Redis is reachable", float(m.network_reachable))
        yield gauge("event_loop_lag_seconds", "How late the loop ran its last timer", m.loop_lag)
        yield gauge(
            "event_loop_lag_max_seconds",
            "The worst loop lag since the last scrape",
            m.take_lag_max(),
        )

    def _history(self) -> Iterator[Metric]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        history = self.server.history
        if history is None:
            return
        m = self.server.metrics
        yield CounterMetricFamily(
            "chatroom_history_rows_written", "Messages history made durable", m.history_written
        )
        yield CounterMetricFamily(
            "chatroom_history_rows_failed", "Messages history could not store", m.history_failed
        )
        yield GaugeMetricFamily(
            "chatroom_history_queue", "Messages waiting to be durable", m.history_pending
        )
        yield GaugeMetricFamily(
            "chatroom_history_writable", "1 while history can be written", float(history.writable)
        )
        cumulative, buckets = 0, []
        for bound, count in zip(
            (*map(str, STORE_BUCKETS), "+Inf"), m.history_seconds_buckets, strict=True
        ):
            cumulative += count
            buckets.append((bound, cumulative))
        yield HistogramMetricFamily(
            "chatroom_history_write_seconds",
            "Time from a message's append to its being durable",
            buckets=buckets,
            sum_value=m.history_seconds,
        )


def _registry(exporter: Exporter) -> CollectorRegistry:
    """A registry of our own (not the library's global one): this server's metrics
    and the process's (memory, CPU, open files)."""
    from prometheus_client import CollectorRegistry, ProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(exporter)
    ProcessCollector(registry=registry)
    return registry
