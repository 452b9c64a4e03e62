"""What the web port answers an operator's tools: ``/healthz``, ``/readyz``, ``/metrics``.

- ``/healthz``: 200 ``{"status": "ok"}`` whenever the process serves HTTP at all
  (an orchestrator's liveness probe: restart the process when it stops answering).
- ``/readyz``: 200 ``{"status": "ready", "checks": {...}}`` when the chat listeners
  are up, history (if kept) takes writes and, with ``--cluster``, Redis is
  reachable; else 503 ``{"status": "not ready", ...}`` naming what is wrong (a load
  balancer's readiness probe: send no new users here meanwhile). Each check is
  ``"ok"``, ``"off"`` (not configured) or what failed.
- ``/metrics``: the Prometheus text format (:mod:`chatroom.web.metrics`), from this
  machine (loopback) or from ``[web] metrics_allow`` only; 403 for anyone else. A
  request relayed by a reverse proxy is judged by the client it came from: through
  a trusted proxy (``[web] trusted_proxies``) by its ``X-Forwarded-For``, through any
  other by nothing it says, so it is refused (a proxy on this machine must not make
  the whole internet look local).

The two probes answer anyone: they say no more than whether the service works.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from websockets.http11 import Request, Response

from chatroom.server.addresses import (
    Network,
    forwarded_for,
    is_loopback,
    is_trusted_proxy,
    parse_networks,
)
from chatroom.server.server import Server
from chatroom.web.http import respond, text_response
from chatroom.web.metrics import Exporter

PATHS = ("/healthz", "/readyz", "/metrics")

_JSON = "application/json"
_NO_STORE = {"Cache-Control": "no-store"}
_FORWARDING = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


class Operations:
    """Answers the operator's paths for one server.

    ``listening``: whether the chat listeners are up (the composition knows them).
    """

    def __init__(
        self,
        server: Server,
        *,
        listening: Callable[[], bool] = lambda: True,
        metrics_allow: Sequence[str] = (),
        proxies: Sequence[Network] = (),
    ) -> None:
        self.server = server
        self.listening = listening
        self.metrics_allow = parse_networks(metrics_allow)
        self.proxies = tuple(proxies)
        self.exporter = Exporter(server)

    def answer(self, peer: str, request: Request, host: str | None) -> Response | None:
        """The response for ``request`` from ``peer`` (the TCP peer's address), or None
        when its path is none of :data:`PATHS`."""
        path = request.path.split("?", 1)[0]
        if path not in PATHS:
            return None
        method = getattr(request, "method", "GET")  # older websockets parse only GET
        if method not in ("GET", "HEAD"):
            return text_response(405, "Only GET is supported here.\n", host)
        if path == "/healthz":
            response = _json(200, {"status": "ok"}, host)
        elif path == "/readyz":
            checks = self.checks()
            ready = all(value in ("ok", "off") for value in checks.values())
            body = {"status": "ready" if ready else "not ready", "checks": checks}
            response = _json(200 if ready else 503, body, host)
        elif not self.may_scrape(peer, request):
            return text_response(403, "Metrics are served to allowed addresses only.\n", host)
        else:
            text = self.exporter.render()
            response = respond(200, text, self.exporter.content_type, host, _NO_STORE)
        if method == "HEAD":
            response.body = b""
        return response

    def checks(self) -> dict[str, str]:
        """What ``/readyz`` reports: ``listeners``, ``history``, ``redis``."""
        server = self.server
        listening = self.listening() and not server.closing
        history = server.history
        reachable = server.metrics.network_reachable
        return {
            "listeners": "ok" if listening else "closed",
            "history": "off" if history is None else "ok" if history.writable else "unwritable",
            "redis": "off" if reachable is None else "ok" if reachable else "unreachable",
        }

    def may_scrape(self, peer: str, request: Request) -> bool:
        """Loopback or ``metrics_allow``, judged on the client behind a trusted proxy."""
        headers = request.headers
        client = peer
        if is_trusted_proxy(peer, self.proxies):
            client = forwarded_for(peer, headers.get_all("X-Forwarded-For"), self.proxies)
        elif any(headers.get_all(name) for name in _FORWARDING):
            return False  # relayed by a proxy we do not trust: the client is unknown
        if is_loopback(client):
            return True
        return is_trusted_proxy(client, self.metrics_allow)  # an address in the list


def _json(status: int, body: Mapping[str, object], host: str | None) -> Response:
    return respond(status, json.dumps(body).encode(), _JSON, host, _NO_STORE)
