"""The browser client, served by the chat server itself.

- :mod:`chatroom.web.port`: the web port, bound at start; what serves it is loaded
  at its first connection, so this package imports nothing at its own import.
- :mod:`chatroom.web.listener`: :class:`WebListener`, one port for the page (HTTP)
  and for IRC over WebSocket at ``/ws`` (:mod:`chatroom.transports.websocket`).
- :mod:`chatroom.web.http`: the static files and the security headers.
- :mod:`chatroom.web.filehost`, :mod:`chatroom.web.upload`, :mod:`chatroom.web.files`:
  sharing files (soju.im/FILEHOST): set-up and retention, the HTTP side, the store.
- ``static/``: the page: plain HTML, CSS and JavaScript modules, no build step, no
  CDN, so it works on a LAN without internet. See docs/web-client.md.
"""
