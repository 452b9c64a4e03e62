"""The client's protocol, sans I/O: lines in, events and lines out.

:class:`ClientProtocol` holds everything one user's session with one server
knows (registration phase, caps, ISUPPORT, nick, SASL, buffers and their
history requests) and owns no socket, no event loop and no clock. The I/O
layer around it (:class:`~chatroom.client.core.ChatClient` on asyncio) does
this, in order:

1. on a new connection, call :meth:`~ClientProtocol.connection_made`;
2. for every line read, call :meth:`~ClientProtocol.receive_line`; for what
   the user does, :meth:`~ClientProtocol.submit`,
   :meth:`~ClientProtocol.provide_nick` and the other user-side methods;
3. after each of those calls, write :meth:`~ClientProtocol.lines_to_send` and
   report :meth:`~ClientProtocol.next_event` until it returns ``None``; when
   ``quitting`` turns true, close the connection once the server has (or after
   a grace period);
4. when the connection ends, call :meth:`~ClientProtocol.connection_lost`, which
   says in which phase it ended (what to do next depends on it), then drain
   again.

Every method returns at once; none blocks or raises on the server's input.
"""

from __future__ import annotations

import logging

from chatroom.client import readmarkers
from chatroom.client.buffers import nick_problem, open_buffer, open_private
from chatroom.client.chathistory import fetch_around, fetch_older
from chatroom.client.commands import Action, is_secret, parse_input
from chatroom.client.completion import complete_word
from chatroom.client.events import Event, NickRequired
from chatroom.client.handlers import handle
from chatroom.client.model import Buffer, BufferKind, MessageKind
from chatroom.client.perform import perform
from chatroom.client.records import HistoryState, UploadTokenState
from chatroom.client.registration import send_nick, start
from chatroom.client.state import ClientState, Phase, Trigger
from chatroom.client.typing_notify import Notification, TypingSender
from chatroom.errors import LocalProtocolError
from chatroom.protocol import Line, is_valid_nick
from chatroom.protocol.casemap import is_channel_name

log = logging.getLogger(__name__)

_NICK_WANTED = frozenset({Phase.NEED_NICK, Phase.NEED_NEW_NICK, Phase.REGISTERING})


class ClientProtocol(ClientState):
    """One user's session with one server, across reconnections, without I/O.

    Typical use (the asyncio layer does exactly this)::

        protocol = ClientProtocol(ClientConfig(host, port, nick="alice"))
        protocol.connection_made()
        write(protocol.lines_to_send())       # CAP LS 302, NICK, USER
        protocol.receive_line(parse(text))    # for each line from the server
        for event in protocol.events_received():
            render(event)
    """

    # -- the connection ------------------------------------------------------------

    def connection_made(self) -> None:
        """A connection to the server opened: forget the last one's negotiation
        and start registering. Raises :class:`LocalProtocolError` if the last
        connection was not reported lost."""
        if self.phase is not Phase.OFFLINE:
            raise LocalProtocolError("connection_made() while a connection is open")
        self.caps = set()
        self.server_error = None
        self.cap_ls = []
        self.cap_values = {}
        self.chathistory = HistoryState()
        self.upload_tokens = UploadTokenState()  # the last connection's have ended
        self.account = None
        self.sasl = None
        self.pending_password = None
        self.nick_tries = 0
        self.is_ready = False
        start(self)

    def receive_line(self, line: Line) -> None:
        """Apply one line from the server. A line the client misreads is logged
        and skipped: it must not end the chat."""
        try:
            handle(self, line)
        except Exception:
            log.exception("failed to handle %r", line.format())

    def tick(self, now: float) -> None:
        """Time passed: call it about once a second with the I/O layer's clock
        (monotonic seconds). Sends a held-back or ``paused`` typing notification
        and forgets who stopped typing without saying so; what arrives until the
        next tick is dated ``now``."""
        self.clock = now
        self._notify(self.typing_out.tick(now))
        for name in self.typing_in.expire(now):
            self.typing_changed(name)

    def keepalive(self) -> None:
        """The connection has been silent for a while: ask the server for a sign
        of life (any line answers it)."""
        self.send(Line("PING", ("chatroom",)))

    def connection_lost(self) -> Phase:
        """The connection ended. Rooms are no longer joined (they are rejoined
        after the next registration); returns the phase the connection was in:
        never welcomed, waiting for the user's nick, or registered."""
        phase = self.phase
        if self.registered:
            self.rooms_to_join = tuple(
                b.name for b in self.model.buffers if b.kind is BufferKind.CHANNEL and b.joined
            )
        self.advance(Trigger.DISCONNECT)
        self.names_pending.clear()
        self.whox_pending.clear()
        self.typing_out = TypingSender()
        for name in self.typing_in.stopped_all():
            self.typing_changed(name)
        self.unechoed = 0
        for buffer in self.model.buffers:
            if buffer.kind is BufferKind.CHANNEL and (buffer.joined or buffer.members):
                buffer.joined = False
                buffer.members.clear()
                self.changed(buffer)
        return phase

    # -- output ----------------------------------------------------------------------

    def lines_to_send(self) -> list[Line]:
        """The lines queued since the last call, oldest first; the caller must
        write them in this order."""
        lines, self._outgoing = self._outgoing, []
        return lines

    def next_event(self) -> Event | None:
        """The oldest event not yet taken, or ``None``. Taking events one at a
        time keeps them in order even if reporting one makes the UI call the
        protocol again."""
        return self._events.popleft() if self._events else None

    def events_received(self) -> list[Event]:
        """Every event not yet taken, oldest first."""
        events = list(self._events)
        self._events.clear()
        return events

    # -- the user's side ---------------------------------------------------------------

    def provide_nick(self, nick: str) -> bool:
        """The user's answer to :class:`NickRequired`; True if the nick was taken.
        An unusable nick is answered with another ``NickRequired`` saying why.
        Given while disconnected, it is used on the next connection."""
        nick = nick.strip()
        if not is_valid_nick(nick, self.nicklen):
            self.emit(NickRequired(nick_problem(nick, self.nicklen)))
            return False
        self.nick = self.wanted_nick = nick
        self.nick_tries = 0
        if self.phase in _NICK_WANTED:
            send_nick(self)
        return True

    def submit(self, text: str) -> None:
        """Handle one line the user typed: store it in the history, parse it and
        perform it. Blank lines are ignored (never sent); lines carrying a
        password (``/register``, ``/login``) are not kept in the history."""
        action = parse_input(text)
        if action is None:
            return
        if not is_secret(text):
            self.history.add(text.rstrip("\r\n"))
        self.perform(action)

    def input_changed(self, text: str, now: float) -> None:
        """The input line now reads ``text`` (call it on every change, with the
        clock :meth:`tick` gets): typing notifications for the active buffer,
        at the spec's rate (:class:`~chatroom.client.typing_notify.TypingSender`)."""
        active = self.model.active_buffer
        chat = active.kind in (BufferKind.CHANNEL, BufferKind.PRIVATE)
        self.clock = max(self.clock, now)
        self._notify(self.typing_out.text_changed(active.name if chat else None, text, now))

    def _notify(self, notifications: list[Notification]) -> None:
        """Send typing notifications, when the server relays them (message-tags)
        and the user has not turned them off."""
        if not self.config.send_typing or "message-tags" not in self.caps or not self.registered:
            return
        for target, state in notifications:
            self.send(Line("TAGMSG", (target,), tags={"+typing": state}))

    def perform(self, action: Action) -> None:
        """Carry out an action (see :func:`chatroom.client.perform.perform`)."""
        perform(self, action)

    def open_buffer(self, name: str, kind: BufferKind | None = None) -> Buffer:
        """The buffer called ``name``, opened (and announced) if needed."""
        return open_buffer(self, name, kind)

    def open_private(self, nick: str) -> bool:
        """Open and show the private chat with ``nick``, sending nothing; False
        (with an error note) if ``nick`` cannot be a nick."""
        return open_private(self, nick)

    def mark_read(self, name: str | None = None) -> bool:
        """The user has read the buffer called ``name`` (default: the active one): the
        UI calls this when the buffer is on screen and the window has the focus (on
        switching to it, on focus, on a message arriving in it). Clears its unread
        count and tells the server (``draft/read-marker``); False if nothing was sent."""
        buffer = self.model.get(name) if name is not None else self.model.active_buffer
        return buffer is not None and readmarkers.mark_read(self, buffer)

    def fetch_older(self, name: str, limit: int = 50) -> bool:
        """Ask the server for up to ``limit`` messages older than the oldest the
        buffer called ``name`` holds; they arrive as an ``OlderMessages``
        event. Returns False (and does nothing) when there is no such buffer or
        the server keeps no history for us (no ``draft/chathistory``)."""
        buffer = self.model.get(name)
        if buffer is None:
            return False
        return fetch_older(self, buffer, limit)

    def show(self, name: str) -> bool:
        """Show the buffer called ``name`` again (an ``ActiveBufferChanged`` with its
        latest messages) even when it is the active one: a UI that showed something
        else in its place (a search result's surroundings) goes back to the latest."""
        buffer = self.model.get(name)
        if buffer is not None:
            self.activate(buffer)
        return buffer is not None

    def fetch_around(self, name: str, msgid: str, limit: int = 40) -> bool:
        """Ask for the messages of the buffer called ``name`` around ``msgid`` (a
        search result); they arrive as an ``AroundLoaded`` event. The buffer is
        shown first; a private chat not open yet is opened. False when there is no
        such room or no history."""
        buffer = self.model.get(name)
        if buffer is None and not is_channel_name(name):
            open_private(self, name)
            buffer = self.model.get(name)
        if buffer is None:
            self.note(f"You are not in {name}: join it to read there.", MessageKind.ERROR)
            return False
        if buffer.key != self.model.active:
            self.activate(buffer)
        return fetch_around(self, buffer, msgid, limit)

    def complete(self, word: str, first: bool = False) -> list[str]:
        """Completions for ``word`` (see :func:`~chatroom.client.completion.complete_word`)."""
        return complete_word(
            word,
            first=first,
            active=self.model.view(self.model.active_buffer),
            buffers=self.model.views(),
            own_nick=self.nick,
        )
