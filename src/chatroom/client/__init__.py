"""The client core shared by every chatroom UI (terminal, Tk): no UI code here.

It owns the connection (asyncio TCP, optional TLS), registration (CAP LS 302
negotiation, nick-taken handling, PING/PONG), reconnection with back-off (rooms
are rejoined), the model of buffers (the server, rooms, private chats) with
their messages, members, topic, unread counts and mention flags, the user's
input history, and the parsing of what the user types (``/join``, ``/msg``,
plain text, ``QUIT``...) into actions. A UI only renders events and passes on
what the user typed.

Two layers: :class:`~chatroom.client.protocol.ClientProtocol` holds all of that
state without I/O (lines in, events and lines out; tested line by line), and
:class:`ChatClient` is the thin asyncio layer around it (socket, timers,
reconnection). ``docs/architecture.md`` ("The Python client") draws the modules.

Quick start (on an asyncio loop)::

    from chatroom.client import ChatClient, ClientConfig, events

    client = ChatClient(ClientConfig("127.0.0.1", 1060, nick="alice"))
    client.subscribe(on_event)       # called with every Event, in order
    reason = await client.run()      # returns an ExitReason; exit with reason.exit_code
    # while it runs, from your input handling (same loop):
    client.submit("hello everyone")  # or "/join #dev", "/msg bob hi", "QUIT"

From another thread (Tk), use :class:`ClientThread`: it runs the client on its
own loop in a daemon thread, queues events in ``runner.events`` (drain it with
``runner.drain()`` from ``after()``), and its ``submit``/``provide_nick``/
``switch_to``/``quit``/``open_private``/``fetch_older``/``trust_certificate``
are thread-safe.

API (stable: it will be extended, not broken)
---------------------------------------------

``ClientConfig`` (frozen): ``host``, ``port``, ``nick`` (``None``: ask the user),
``rooms`` (joined at start, default ``("#lobby",)``), ``tls``, ``tls_verify``,
``password`` (the server's PASS), ``username``, ``realname``, ``reconnect``
(default True), ``reconnect_delays``, ``connect_timeout``, ``idle_ping``,
``ping_timeout``, ``quit_message``, ``caps``, ``history_lines`` (history asked
for on join, default 50, 0 = none), ``backlog_lines`` (messages in
``ActiveBufferChanged.backlog``, default 50), ``account`` and
``account_password`` (SASL login while connecting; account default: the nick),
``trust_new_cert`` and ``known_servers`` (TLS trust on first use, see
``chatroom.client.trust``).

``ChatClient(config)``, all methods on the client's loop thread:

- ``subscribe(observer) -> unsubscribe``: ``observer(event)`` for each event.
- ``await run() -> ExitReason``: connects, registers, chats and reconnects until
  the user quits or the client gives up; emits ``Stopped`` last.
- ``submit(text)``: a line the user typed; blank lines are ignored. Adds it to
  ``history`` and performs it. ``perform(action)`` performs a parsed action.
- ``provide_nick(nick)``: the answer to ``NickRequired`` ("Your name: ").
- ``switch_to(name_or_number) -> bool``: look at another buffer (Alt+number).
- ``quit(reason=None)``: send QUIT and stop; ``run()`` then returns ``QUIT``.
- ``open_private(nick) -> bool``: open and show a private chat, sending nothing.
- ``fetch_older(buffer, limit=50) -> bool``: ask for older history of a buffer
  (``CHATHISTORY BEFORE``); answered by ``OlderMessages``. False when the server
  keeps no history (no ``draft/chathistory``): nothing happens then.
- ``backlog(buffer) -> tuple[Message, ...]``: its latest ``backlog_lines``.
- ``trust_certificate(trusted)``: the answer to ``CertificateUnknown``.
- ``complete(word, first=False) -> list[str]``: Tab completion candidates.
- ``await wait_echoed(timeout) -> bool``: wait until the server has echoed every
  message sent (echo-message); a script calls it before quitting.
- Read-only state: ``model`` (``ChatModel``: ``buffers``, ``active_buffer``,
  ``server``, ``get(name)``, ``find(name_or_number)``, ``views()``), ``nick``,
  ``registered``, ``connected``, ``caps``, ``isupport``, ``motd``, ``history``
  (``InputHistory``: ``previous(current)``, ``next()``), ``ready`` (an
  ``asyncio.Event`` set once the start-up rooms have answered).

Events (``chatroom.client.events``, frozen dataclasses, subclasses of ``Event``):

- ``Connecting(host, port, attempt)`` -- "Trying to connect to HOST:PORT..."
- ``Connected(host, port)`` -- "Successfully connected to HOST:PORT"
- ``ConnectFailed(host, port, reason, fatal, retry_in)`` -- "Could not connect
  to HOST:PORT: connection refused"; fatal on the first connection.
- ``NickRequired(problem)`` -- ask "Your name: ", then ``provide_nick``.
- ``NickTaken(nick, trying)`` -- the nick is in use, ``trying`` is tried instead.
- ``Registered(nick, reconnected)`` -- "Welcome, NAME!"; rooms are joined next.
- ``Ready(rooms)`` -- the start-up rooms have been joined (or refused).
- ``OwnNickChanged(nick)``.
- ``ConnectionLost(reason, reconnect_in)`` -- "Oh no, we have lost connection to
  the server!"; ``reconnect_in`` is None when the client stops instead.
- ``BufferChanged(buffer: BufferView)`` -- opened or changed (members, topic,
  unread, mentioned, joined, active).
- ``BufferClosed(name)``.
- ``ActiveBufferChanged(buffer: BufferView, backlog: tuple[Message, ...])``.
- ``MessageAdded(buffer: str, message: Message, active: bool)``.
- ``MessageDeleted(buffer, message, backlog, active)`` -- a message was deleted
  (draft/message-redaction): ``message`` is it now (``deleted``, its text "message
  deleted"); ``backlog`` for a UI that redraws.
- ``BufferRenamed(old, new)`` -- a private chat's person changed nick.
- ``HistoryLoaded(buffer, messages, backlog, active)`` -- recent history (after
  a join, opening a private chat, a reconnection) was put in the buffer by time;
  ``backlog`` is the buffer's latest messages for a UI that redraws.
- ``OlderMessages(buffer, messages, complete)`` -- the answer to ``fetch_older``;
  the messages precede all others; ``complete``: the start of history.
- ``CertificateUnknown(host, port, fingerprint, reason, known_file)`` -- a TLS
  certificate that does not verify and was never seen: ask the user, then call
  ``trust_certificate``. ``CertificateTrusted(...)`` -- remembered.
  ``CertificateChanged(host, port, expected, fingerprint, known_file)`` -- a
  remembered certificate changed: the client stops (``ExitReason.CERTIFICATE``).
- ``LoggedIn(account)``, ``LoginFailed(account, reason)``,
  ``AccountRegistered(account)``, ``RegisterFailed(account, code, reason)``.
- ``Stopped(reason: ExitReason, detail)`` -- the last event.

Model values (``chatroom.client.model``): ``Message(time, kind, sender, text,
own, mention, msgid, history, deleted)`` with ``time`` an aware UTC datetime (server-time) and
``kind`` a ``MessageKind`` (MESSAGE, ACTION, NOTICE, JOIN, PART, QUIT, NICK,
TOPIC, KICK, MODE, ERROR, INFO); ``text`` of notices is the sentence to show
("alice has joined #lobby. Say hi!"); ``history`` marks lines replayed from
the server's history (show them muted; never unread). ``BufferView(name, kind, number, topic,
members, unread, mentioned, joined, active, online)`` (``online``: whether a private
chat's person is connected, from MONITOR; ``None`` when not known) with ``members`` a tuple of
``Member(nick, prefixes)`` (``member.display`` is ``"@alice"``). ``BufferKind``
is SERVER, CHANNEL or PRIVATE; the server buffer is number 1 and is called
``SERVER_BUFFER``.

Helpers usable on any thread: ``parse_input(text) -> Action | None``
(``chatroom.client.commands``), ``help_lines()``, ``split_text(text, budget)``,
``complete_word(...)`` over ``BufferView`` snapshots, ``InputHistory``, and the
server's name rules, so a UI needs nothing below the client: ``casefold(name)``,
``is_channel_name(name)``, ``is_valid_nick(nick, nicklen)``.
"""

from __future__ import annotations

from chatroom.client import events
from chatroom.client.commands import Action, help_lines, parse_input
from chatroom.client.completion import complete_word
from chatroom.client.config import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_ROOM, ClientConfig
from chatroom.client.core import ChatClient
from chatroom.client.events import Event, ExitReason
from chatroom.client.history import InputHistory
from chatroom.client.model import (
    SERVER_BUFFER,
    BufferKind,
    BufferView,
    ChatModel,
    Member,
    Message,
    MessageKind,
)
from chatroom.client.textsplit import split_text
from chatroom.client.thread import ClientThread
from chatroom.protocol.casemap import casefold, is_channel_name, is_valid_nick

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_ROOM",
    "SERVER_BUFFER",
    "Action",
    "BufferKind",
    "BufferView",
    "ChatClient",
    "ChatModel",
    "ClientConfig",
    "ClientThread",
    "Event",
    "ExitReason",
    "InputHistory",
    "Member",
    "Message",
    "MessageKind",
    "casefold",
    "complete_word",
    "events",
    "help_lines",
    "is_channel_name",
    "is_valid_nick",
    "parse_input",
    "split_text",
]
