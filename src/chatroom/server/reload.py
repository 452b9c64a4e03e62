"""Reloading the configuration of a running server (SIGHUP, ``chatroom reload``).

The composer reads and checks the whole file first (a file with an error is
refused whole, before anything here runs), then calls :func:`reconfigure`. What
changes live, and when it takes effect:

- the MOTD, operators, limits (``[limits]`` but nicklen and whowas), timeouts,
  accounts registration, the TLS requirement, history query limits: at once, as
  the core reads ``server.config`` each time it needs a value;
- flood control: the burst and rate of every connection's bucket at once; turning
  it on or off applies to connections made afterwards;
- the TLS certificate and allowed web origins are not core state: the composer
  swaps them (serve.py).

The keys of :data:`~chatroom.server.config.RESTART_ONLY` keep their running value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatroom.server import multiline
from chatroom.server.config import Config, live_config

if TYPE_CHECKING:
    from chatroom.server.server import Server


def reconfigure(server: Server, new: Config) -> list[str]:
    """Run ``server`` with ``new`` from now on, as far as it can change live; return
    the restart-only keys whose new value was not applied (``server.port``, ...)."""
    applied, pending = live_config(server.config, new)
    server.config = applied
    server.motd = applied.motd_text()
    if server.accounts is not None:
        # Offered to connections negotiating from now on; REGISTER checks the config.
        if applied.registration_open:
            server.caps["draft/account-registration"] = "before-connect"
        else:
            server.caps.pop("draft/account-registration", None)
    # The limits a draft/multiline batch is checked against, as offered from now on.
    server.caps[multiline.CAP] = multiline.cap_value(
        applied.multiline_max_bytes, applied.multiline_max_lines
    )
    for session in server.sessions:
        if session.flood is not None:
            session.flood.burst = float(applied.flood_burst)
            session.flood.rate = applied.flood_rate
    return pending
