"""The browser client, served by the chat server itself.

- :mod:`chatroom.web.listener`: :class:`WebListener`, one port for the page (HTTP)
  and for IRC over WebSocket at ``/ws`` (:mod:`chatroom.transports.websocket`).
- :mod:`chatroom.web.http`: the static files and the security headers.
- ``static/``: the page: plain HTML, CSS and JavaScript modules, no build step, no
  CDN, so it works on a LAN without internet. See docs/web-client.md.
"""

from __future__ import annotations

from chatroom.web.listener import WS_PATH, WebListener

__all__ = ["WS_PATH", "WebListener"]
