"""IRC over WebSocket (IRCv3 WebSocket spec) with a plain WebSocket client.

The server core and the web listener run in-process on an event loop in a thread,
so the tests talk to them with blocking clients: the ``websockets`` library's sync
client and ``tests/support/irc_client.py`` (irctokens) as the TCP participant.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    InvalidStatus,
)
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from chatroom.server.commands.table import COMMANDS
from chatroom.server.config import Config
from chatroom.server.server import Server
from chatroom.transports.tcp import listen
from chatroom.transports.websocket import (
    MAX_MESSAGE,
    IrcOverWebSocket,
    select_subprotocol,
)
from chatroom.web.listener import WebListener
from support.irc_client import IrcClient
from support.server import RunningServer
from support.timeouts import TIMEOUT, eventually

TEXT = Subprotocol("text.ircv3.net")
BINARY = Subprotocol("binary.ircv3.net")
BASE = Config(flood_enabled=False, history_enabled=False, max_per_address=0)


@dataclass
class Chat:
    """A server core with a TCP and a web listener, on a loop in another thread."""

    loop: asyncio.AbstractEventLoop
    server: Server
    port: int
    web_port: int

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the server's loop and return its result."""

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(TIMEOUT)

    def ws(
        self,
        subprotocols: list[Subprotocol] | None = None,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
        path: str = "/ws",
    ) -> ClientConnection:
        return connect(
            f"ws://127.0.0.1:{self.web_port}{path}",
            subprotocols=[TEXT] if subprotocols is None else (subprotocols or None),
            origin=origin,  # type: ignore[arg-type]
            additional_headers=headers,
            open_timeout=TIMEOUT,
        )


def run_chat(config: Config, allowed_origins: tuple[str, ...] = ()) -> Iterator[Chat]:
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        server = Server(config, loop, None, commands=COMMANDS)
        server.start()
        tcp = await listen(server, "127.0.0.1", 0)
        web = WebListener(server, IrcOverWebSocket(), allowed_origins=allowed_origins)
        await web.start("127.0.0.1", 0)
        state.update(server=server, tcp=tcp, web=web)
        started.set()

    async def stop() -> None:
        state["tcp"].close()
        state["web"].close()
        state["server"].shutdown()
        await state["server"].wait_closed(1.0)
        await state["web"].wait_closed(1.0)

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(TIMEOUT)
    assert started.wait(TIMEOUT)
    port = state["tcp"].sockets[0].getsockname()[1]
    web_port = state["web"].addresses[0][1]
    try:
        yield Chat(loop, state["server"], port, web_port)
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT)
        loop.close()


@pytest.fixture
def chat() -> Iterator[Chat]:
    yield from run_chat(BASE)


def recv_line(ws: ClientConnection, timeout: float = TIMEOUT) -> str | bytes:
    return ws.recv(timeout=timeout)


def expect(ws: ClientConnection, command: str, timeout: float = TIMEOUT) -> list[str | bytes]:
    """Every message up to and including the first whose command is ``command``."""
    seen: list[str | bytes] = []
    while True:
        message = ws.recv(timeout=timeout)
        seen.append(message)
        text = message.decode() if isinstance(message, bytes) else message
        words = text.split(" ")
        if words[0].startswith("@"):
            words = words[1:]
        if words[0].startswith(":"):
            words = words[1:]
        if words and words[0] == command:
            return seen


def register(ws: ClientConnection, nick: str, *, binary: bool = False) -> list[str | bytes]:
    for line in (f"NICK {nick}", f"USER {nick} 0 * :{nick}"):
        ws.send(line.encode() if binary else line)
    return expect(ws, "376")


# -- pure helpers ---------------------------------------------------------------------


def test_the_client_preference_decides_the_subprotocol() -> None:
    # The spec: "respecting the client's order of preference".
    assert select_subprotocol(None, [TEXT, BINARY]) == TEXT  # type: ignore[arg-type]
    assert select_subprotocol(None, [BINARY, TEXT]) == BINARY  # type: ignore[arg-type]
    assert select_subprotocol(None, [Subprotocol("irc")]) is None  # type: ignore[arg-type]


# -- the protocol over a real listener ---------------------------------------------------


def test_text_subprotocol_one_line_per_message(chat: Chat) -> None:
    with chat.ws([TEXT]) as ws:
        assert ws.subprotocol == TEXT
        burst = register(ws, "alice")
        # The core writes the whole welcome burst at once: each line is its own message.
        assert len(burst) >= 10
        for message in burst:
            assert isinstance(message, str)
            assert "\r" not in message and "\n" not in message
        commands = [m.split(" ")[1] for m in burst if isinstance(m, str)]
        assert commands[:5] == ["001", "002", "003", "004", "005"]
        ws.send("PING :are you there")
        assert expect(ws, "PONG")[-1] == ":chatroom PONG chatroom :are you there"


def test_binary_subprotocol_carries_raw_bytes(chat: Chat) -> None:
    with chat.ws([BINARY, TEXT]) as ws:
        assert ws.subprotocol == BINARY
        burst = register(ws, "bob", binary=True)
        assert all(isinstance(m, bytes) and not m.endswith(b"\r\n") for m in burst)
        # Not UTF-8: refused by the core, like on TCP, and the connection lives on.
        ws.send(b"PRIVMSG #lobby :caf\xe9")
        fail = expect(ws, "FAIL")[-1]
        assert isinstance(fail, bytes) and b"INVALID_UTF8" in fail
        ws.send(b"PING :still here")
        assert expect(ws, "PONG")


def test_legacy_client_without_subprotocol(chat: Chat) -> None:
    with chat.ws([]) as ws:
        assert ws.subprotocol is None
        assert isinstance(register(ws, "old")[-1], str)  # text frames by default


def test_websocket_and_tcp_clients_chat(chat: Chat) -> None:
    tcp = IrcClient(chat.port).register("carol")
    tcp.join("#lobby")
    with chat.ws() as ws:
        register(ws, "alice")
        ws.send("JOIN #lobby")
        expect(ws, "366")
        tcp.expect("JOIN")
        ws.send("PRIVMSG #lobby :hello from the browser")
        line = tcp.expect("PRIVMSG")
        assert line.params == ["#lobby", "hello from the browser"]
        assert line.source is not None and line.source.startswith("alice!")
        tcp.send("PRIVMSG #lobby :hello from the terminal")
        assert expect(ws, "PRIVMSG")[-1].endswith("PRIVMSG #lobby :hello from the terminal")
    tcp.close()


def test_crlf_inside_a_message_is_refused(chat: Chat) -> None:
    with chat.ws() as ws:
        register(ws, "alice")
        ws.send("PRIVMSG #lobby :a\r\nQUIT :smuggled")
        fail = expect(ws, "FAIL")[-1]
        assert "INVALID_MESSAGE" in str(fail)
        ws.send("PING :alive")
        assert expect(ws, "PONG")


def test_oversized_frame_closes_that_connection_only(chat: Chat) -> None:
    tcp = IrcClient(chat.port).register("carol")
    tcp.join("#lobby")
    with chat.ws() as big, chat.ws() as other:
        register(big, "big")
        register(other, "other")
        for ws in (big, other):
            ws.send("JOIN #lobby")
            expect(ws, "366")
        big.send("PRIVMSG #lobby :" + "x" * (MAX_MESSAGE + 100))
        with pytest.raises(ConnectionClosedError) as info:
            while True:
                big.recv(timeout=TIMEOUT)
        assert info.value.sent is not None and info.value.sent.code == 1009  # message too big
        assert tcp.expect("QUIT").source.startswith("big!")  # type: ignore[union-attr]
        other.send("PRIVMSG #lobby :still fine")
        assert tcp.expect("PRIVMSG").params == ["#lobby", "still fine"]
    tcp.close()


def test_line_below_the_frame_limit_but_too_long_for_irc(chat: Chat) -> None:
    with chat.ws() as ws:
        register(ws, "alice")
        ws.send("PRIVMSG #lobby :" + "x" * 1000)  # fits a frame, not a 512-byte line
        assert "417" in str(expect(ws, "417")[-1])  # ERR_INPUTTOOLONG, connection kept
        ws.send("PING :ok")
        assert expect(ws, "PONG")


def test_invalid_utf8_text_frame_is_refused_without_harming_others(chat: Chat) -> None:
    with chat.ws() as bad, chat.ws() as good:
        register(bad, "bad")
        register(good, "good")
        bad.send(b"PRIVMSG good :\xff\xfe", text=True)  # a text frame that is not UTF-8
        with pytest.raises(ConnectionClosed) as info:
            while True:
                bad.recv(timeout=TIMEOUT)
        assert info.value.sent is not None and info.value.sent.code == 1007  # invalid data
        good.send("PING :fine")
        assert expect(good, "PONG")


@pytest.mark.parametrize("path", ["/", "/irc", "/index.html?x=1"])
def test_the_upgrade_is_taken_on_any_path(chat: Chat, path: str) -> None:
    # Issue 17: a client told ws://host:port (no path) asked for "/" and got the
    # page (200). Other servers take the IRC WebSocket upgrade on any path.
    with chat.ws(path=path) as ws:
        register(ws, "alice")
    with pytest.raises(InvalidStatus) as info:
        chat.ws(path=path, origin="http://evil.example")  # the same Origin rule
    assert info.value.response.status_code == 403


def test_bad_origin_is_refused(chat: Chat) -> None:
    with pytest.raises(InvalidStatus) as info:
        chat.ws(origin="http://evil.example")
    assert info.value.response.status_code == 403
    assert "nosniff" in info.value.response.headers.get("X-Content-Type-Options", "")
    with chat.ws(origin=f"http://127.0.0.1:{chat.web_port}") as ws:  # our own page
        register(ws, "alice")


def test_allowed_origins_let_other_sites_connect() -> None:
    for chat in run_chat(BASE, allowed_origins=("https://app.example",)):
        with chat.ws(origin="https://app.example") as ws:
            register(ws, "alice")
        with pytest.raises(InvalidStatus):
            chat.ws(origin="https://other.example")


def refused_third(chat: Chat) -> None:
    """A connection over the per-address limit is answered 429 at once, before its
    request is read. Read it from a socket that sends nothing: a client that is still
    writing its request races the server's close (the websockets client then fails with
    its own internal assertion), which says nothing about the server."""
    with socket.create_connection(("127.0.0.1", chat.web_port), timeout=TIMEOUT) as sock:
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 429 "), answer
    assert b"Too many connections from your address (2)" in answer


def counts(chat: Chat) -> dict[str, int]:
    """The server's connections per address, as it counts them."""
    server = chat.server
    return dict(chat.call(lambda: dict(server.per_address)))


def test_unfinished_handshakes_count_per_address() -> None:
    # Issue 14: one address held 1,000 unfinished HTTP/WebSocket handshakes.
    for chat in run_chat(replace(BASE, max_per_address=2)):
        check_unfinished_handshakes(chat)


def check_unfinished_handshakes(chat: Chat) -> None:
    idle = [socket.create_connection(("127.0.0.1", chat.web_port)) for _ in range(2)]
    idle[1].sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\n")  # and never the end
    eventually(lambda: counts(chat) == {"127.0.0.1": 2}, lambda: counts(chat))
    refused_third(chat)
    tcp = IrcClient(chat.port)  # the IRC port shares the count
    assert "Too many connections" in tcp.expect("ERROR").params[0]
    tcp.close()
    for sock in idle:
        sock.close()
    eventually(lambda: not counts(chat), lambda: counts(chat))  # given back
    with chat.ws() as ws:
        register(ws, "alice")
        assert counts(chat) == {"127.0.0.1": 1}  # one session, counted once
    eventually(lambda: not counts(chat), lambda: counts(chat))


def test_websocket_clients_count_toward_the_per_address_limit() -> None:
    for chat in run_chat(replace(BASE, max_per_address=2)):
        with chat.ws() as a, chat.ws() as b:
            register(a, "a")
            register(b, "b")
            refused_third(chat)
            tcp = IrcClient(chat.port)
            assert "Too many connections" in tcp.expect("ERROR").params[0]
            tcp.close()


def whois_host(ws: ClientConnection, nick: str) -> str:
    ws.send(f"WHOIS {nick}")
    reply = [m for m in expect(ws, "311") if " 311 " in str(m)][-1]
    return str(reply).split(" ")[5]


def secure_flags(chat: Chat) -> list[bool]:
    server = chat.server
    return list(chat.call(lambda: [s.secure for s in server.sessions]))


def test_a_trusted_proxy_forwards_the_client_address() -> None:
    config = replace(BASE, web_trusted_proxies=("127.0.0.1/32",), max_per_address=1)
    for chat in run_chat(config):
        forwarded = {"X-Forwarded-For": "6.6.6.6, 198.51.100.7", "X-Forwarded-Proto": "https"}
        with chat.ws(headers=forwarded) as ws:
            register(ws, "alice")
            assert whois_host(ws, "alice") == "198.51.100.7"
            assert secure_flags(chat) == [True]
            # The per-address limit counts the person, not the proxy: another person
            # through the same proxy gets in, the same person again does not.
            with chat.ws(headers={"X-Forwarded-For": "198.51.100.8"}) as other:
                register(other, "bob")
                assert whois_host(other, "bob") == "198.51.100.8"
            with chat.ws(headers={"X-Forwarded-For": "198.51.100.7"}) as again:
                assert "Too many connections" in str(expect(again, "ERROR")[-1])


def test_x_forwarded_for_from_anyone_else_is_ignored() -> None:
    for chat in run_chat(replace(BASE, web_trusted_proxies=("10.0.0.0/8",))):
        headers = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
        with chat.ws(headers=headers) as ws:
            register(ws, "mallory")
            assert whois_host(ws, "mallory") == "127.0.0.1"
            assert secure_flags(chat) == [False]


def test_flood_control_pauses_and_resumes_reading() -> None:
    config = replace(BASE, flood_enabled=True, flood_burst=5, flood_rate=40.0)
    for chat in run_chat(config):
        with chat.ws() as ws:
            register(ws, "fast")
            for i in range(30):
                ws.send(f"PING :{i}")
            pongs = [m for m in expect(ws, "PONG") if " PONG " in str(m)]
            while len(pongs) < 30:
                pongs += [m for m in expect(ws, "PONG") if " PONG " in str(m)]
            assert [str(p).split(" ")[-1].lstrip(":") for p in pongs] == [str(i) for i in range(30)]


def test_websocket_connections_use_tcp_nodelay(chat: Chat) -> None:
    with chat.ws() as ws:
        register(ws, "alice")

        def nodelay() -> list[int]:
            out = []
            for session in chat.server.sessions:
                sock = session.transport.ws.transport.get_extra_info("socket")  # type: ignore[attr-defined]
                out.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            return out

        assert chat.call(nodelay) == [1]


def test_shutdown_sends_error_to_websocket_clients(server: RunningServer) -> None:
    with connect(f"ws://127.0.0.1:{server.web_port}/ws", subprotocols=[TEXT]) as ws:
        register(ws, "alice")
        assert server.stop(signal.SIGTERM) == 0
        error = expect(ws, "ERROR")[-1]
        assert error == "ERROR :Server shutting down"
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=TIMEOUT)
    assert "Web chat at http://127.0.0.1:" in server.log
