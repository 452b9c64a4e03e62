"""The Tk client and a self-signed TLS server: the trust dialog shows the
fingerprint the server logged; trusting it connects and remembers it."""

from __future__ import annotations

import re
from pathlib import Path

from chatroom.client.trust import KnownServers
from support.server import ServerFactory
from support.tk import GuiFactory, pump_until


def test_trust_dialog_on_first_use(
    server_factory: ServerFactory, gui: GuiFactory, tmp_path: Path
) -> None:
    server = server_factory("--tls", "--tls-port", "0")
    port_match = re.search(r"Listening for TLS at 127\.0\.0\.1:(\d+)", server.log)
    fingerprint = re.search(r"([0-9A-F]{2}(?::[0-9A-F]{2}){31})", server.log)
    assert port_match and fingerprint
    port = int(port_match.group(1))
    known = tmp_path / "known_servers.json"
    app = gui(port, tls=True, known_servers=known)
    pump_until(app.root, lambda: app.trust_dialog is not None, what="trust dialog")
    dialog = app.trust_dialog
    assert dialog is not None and dialog.fingerprint.get() == fingerprint.group(1)
    dialog.trust_button.invoke()
    pump_until(app.root, lambda: app.presenter is not None and "#lobby" in app.presenter.views)
    assert KnownServers(known).get("127.0.0.1", port) == fingerprint.group(1)
