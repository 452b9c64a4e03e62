"""Settings of one client: where to connect, as whom, and how to behave."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1060
DEFAULT_ROOM = "#lobby"

WANTED_CAPS = (
    "server-time",
    "echo-message",
    "message-tags",
    "batch",
    "multi-prefix",
    "away-notify",
    "account-notify",
    "extended-join",
    "setname",
    "userhost-in-names",
    "draft/chathistory",
    # Reactions (TAGMSG) are replayed only with it (chathistory spec: without it, only
    # PRIVMSG and NOTICE); the channel events that come too are skipped (chathistory.py).
    "draft/event-playback",
    "soju.im/search",
    "labeled-response",
    "standard-replies",
    "draft/read-marker",
    "draft/message-redaction",
    "draft/multiline",
)
"""The IRCv3 capabilities the core understands; it requests those the server offers."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """How to connect. ``nick`` None means "ask the user" (``NickRequired``).

    ``reconnect_delays`` are the waits between reconnection tries (the last one
    repeats); ``idle_ping`` is how long a silent connection waits before the
    client PINGs, and ``ping_timeout`` how long it then waits for any answer
    before deciding the connection is dead.

    ``history_lines`` is how many lines of history to ask for when joining a
    room or opening a private chat (0: none; the server may cap it), and
    ``backlog_lines`` how many of a buffer's latest messages a UI receives when
    it switches to it (``ActiveBufferChanged.backlog``).

    ``password`` is the *server's* password (``PASS``), which few servers have;
    ``account_password`` is the password of the user's account, used to log in
    with SASL while connecting, to ``account`` (default: the nick).

    With ``tls``, a certificate that does not verify (self-signed) is trusted
    on first use, like SSH: its fingerprint is remembered in ``known_servers``
    (default ``$XDG_CONFIG_HOME/chatroom/known_servers.json``) once the user
    accepts it (``CertificateUnknown``), or at once with ``trust_new_cert``; a
    remembered fingerprint that changes is refused, always.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    nick: str | None = None
    rooms: tuple[str, ...] = (DEFAULT_ROOM,)
    tls: bool = False
    tls_verify: bool = True
    password: str | None = None
    username: str | None = None
    realname: str | None = None
    reconnect: bool = True
    reconnect_delays: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
    connect_timeout: float = 10.0
    idle_ping: float = 60.0
    ping_timeout: float = 30.0
    quit_message: str = "Leaving"
    caps: tuple[str, ...] = WANTED_CAPS
    history_lines: int = 50
    account: str | None = None
    account_password: str | None = None
    trust_new_cert: bool = False
    known_servers: Path | None = None
    backlog_lines: int = 50
    send_typing: bool = True  # tell others while we type (+typing); we always show theirs

    def delay(self, attempt: int) -> float:
        """Seconds to wait before reconnection try number ``attempt`` (1-based)."""
        delays = self.reconnect_delays or (1.0,)
        return delays[min(max(attempt, 1), len(delays)) - 1]
