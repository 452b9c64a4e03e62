"""The interactive terminal UI: prompt_toolkit renders the core's events above
a prompt that incoming lines never break.

Shape: one asyncio loop runs both the client (:meth:`ChatClient.run`) and the
input loop (``prompt_async``). Events print above the prompt
(``print_formatted_text`` redraws the prompt after each line, keeping what the
user was typing). Only messages of the active buffer are printed, plus
mentions and private messages from elsewhere; the bottom bar shows every
buffer with its unread count. The submitted line is erased from the screen,
because the server echoes it back (echo-message) and it must appear once.
"""

from __future__ import annotations

import asyncio
import enum
import sys
from collections.abc import Iterable

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import has_completions
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.styles import Style

from chatroom.client.core import ChatClient
from chatroom.client.events import (
    ActiveBufferChanged,
    BufferChanged,
    BufferClosed,
    CertificateChanged,
    CertificateTrusted,
    CertificateUnknown,
    ConnectFailed,
    ConnectionLost,
    Event,
    ExitReason,
    HistoryLoaded,
    MessageAdded,
    MessageDeleted,
    NickRequired,
    OlderMessages,
    OwnNickChanged,
    ReactionsChanged,
    Ready,
    Registered,
    Stopped,
    TypingChanged,
)
from chatroom.client.model import BufferKind, MessageKind
from chatroom.client.reactions import message_by_id
from chatroom.ui.terminal.render import (
    ALL_SET,
    STYLE_RULES,
    TRUST_QUESTION,
    YOUR_NAME,
    Fragments,
    certificate_changed,
    certificate_question,
    certificate_trusted,
    deleted_line,
    display_name,
    event_text,
    history_header,
    history_start,
    message_fragments,
    new_messages_line,
    reactions_fragments,
    reconnect_text,
    refusal_text,
    reply_fragments,
    switch_header,
    toolbar_fragments,
)

BACKLOG_SHOWN = 20  # lines of a buffer reprinted when switching to it


class Phase(enum.Enum):
    WAITING = "waiting"  # connecting or registering: no prompt
    NAME = "name"  # asking "Your name: "
    TRUST = "trust"  # asking whether to trust a new TLS certificate
    CHAT = "chat"  # the chat prompt
    DONE = "done"


class ChatCompleter(Completer):
    """Tab completion from the client core: commands, rooms, nicks. A nick at
    the start of the line gets ": " (the usual way to address someone)."""

    def __init__(self, client: ChatClient) -> None:
        self.client = client

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        before = document.text_before_cursor
        word = before.rsplit(" ", 1)[-1]
        first = before.lstrip() == word
        for candidate in self.client.complete(word, first):
            if candidate.startswith("/"):
                suffix = " "
            elif first and not candidate.startswith("#"):
                suffix = ": "
            else:
                suffix = " "
            yield Completion(candidate + suffix, -len(word), display=candidate)


class TerminalApp:
    """Binds a :class:`ChatClient` to a terminal. Call :meth:`run` once."""

    def __init__(self, client: ChatClient) -> None:
        self.client = client
        self.style = Style.from_dict(STYLE_RULES)
        self.phase = Phase.WAITING
        self._phase_changed = asyncio.Event()
        self._announced_ready = False
        self.status = "connecting"
        self.session: PromptSession[str] = PromptSession(
            completer=ChatCompleter(client),
            complete_while_typing=False,
            key_bindings=self._key_bindings(),
            style=self.style,
            erase_when_done=True,
        )
        # Every change of the input line, for typing notifications.
        self.session.default_buffer.on_text_changed += lambda b: client.input_changed(b.text)
        # The name stays on screen after Enter, as in the tutorial.
        self.name_session: PromptSession[str] = PromptSession()
        client.subscribe(self.on_event)

    async def run(self) -> ExitReason:
        """Run the client and the prompt until the client stops."""
        with patch_stdout(raw=True):
            input_task = asyncio.create_task(self._input_loop())
            try:
                reason = await self.client.run()
            finally:
                self._set_phase(Phase.DONE)
                for session in (self.session, self.name_session):
                    if session.app.is_running:
                        session.app.exit(result="")
                await asyncio.wait([input_task], timeout=2)
                input_task.cancel()
        return reason

    # -- input ---------------------------------------------------------------------

    async def _input_loop(self) -> None:
        while self.phase is not Phase.DONE:
            phase = self.phase
            if phase is Phase.WAITING:
                await self._phase_changed.wait()
                self._phase_changed.clear()
                continue
            try:
                if phase is Phase.NAME:
                    text = await self.name_session.prompt_async(YOUR_NAME)
                elif phase is Phase.TRUST:
                    text = await self.name_session.prompt_async(TRUST_QUESTION)
                else:
                    text = await self.session.prompt_async(
                        lambda: FormattedText(self._prompt()),
                        bottom_toolbar=lambda: FormattedText(self._toolbar()),
                    )
            except (EOFError, KeyboardInterrupt):
                self.client.quit()
                return
            if self.done:
                return
            if phase is Phase.NAME:
                self._set_phase(Phase.WAITING)
                self.client.provide_nick(text)
            elif phase is Phase.TRUST:
                self._set_phase(Phase.WAITING)
                self.client.trust_certificate(text.strip().lower() in ("y", "yes"))
            else:
                self.client.submit(text)

    @property
    def done(self) -> bool:
        return self.phase is Phase.DONE

    def _set_phase(self, phase: Phase) -> None:
        self.phase = phase
        self._phase_changed.set()

    def _prompt(self) -> Fragments:
        buffer = self.client.model.active_buffer
        if buffer.kind is BufferKind.SERVER:
            return [("", "> ")]
        return [("bold", display_name(buffer.name)), ("", "> ")]

    def _toolbar(self) -> Fragments:
        typing = self.client.typing(self.client.model.active_buffer.name)
        return toolbar_fragments(self.client.model.views(), self.client.nick, self.status, typing)

    def _key_bindings(self) -> KeyBindings:
        bindings = KeyBindings()
        for digit in "123456789":

            @bindings.add("escape", digit)
            def _switch(event: KeyPressEvent, number: str = digit) -> None:
                self.client.switch_to(number)

        @bindings.add("up", filter=~has_completions)
        def _previous(event: KeyPressEvent) -> None:
            buffer = event.current_buffer
            text = self.client.history.previous(buffer.text)
            if text is not None:
                buffer.set_document(Document(text, len(text)), bypass_readonly=True)

        @bindings.add("down", filter=~has_completions)
        def _next(event: KeyPressEvent) -> None:
            buffer = event.current_buffer
            text = self.client.history.next()
            if text is not None:
                buffer.set_document(Document(text, len(text)), bypass_readonly=True)

        return bindings

    # -- output --------------------------------------------------------------------

    def echo(self, fragments: Fragments) -> None:
        """Print one line above the prompt."""
        print_formatted_text(FormattedText(fragments), style=self.style)

    def say(self, text: str, style: str = "") -> None:
        self.echo([(style, text)])

    def _refresh(self) -> None:
        app = self.session.app
        if app.is_running:
            app.invalidate()

    def on_event(self, event: Event) -> None:
        """Render one event from the core."""
        text = event_text(event)
        if isinstance(event, ConnectFailed) and event.fatal:
            # Before the prompt exists, and the one line a failed start prints.
            print(text, file=sys.stderr, flush=True)
            return
        if isinstance(event, CertificateUnknown):
            for line in certificate_question(event):
                self.say(line)
            self._set_phase(Phase.TRUST)
            return
        if isinstance(event, CertificateChanged):
            print("\n".join(certificate_changed(event)), file=sys.stderr, flush=True)
            return
        if isinstance(event, CertificateTrusted):
            self.say(certificate_trusted(event))
            return
        if isinstance(event, ConnectionLost):
            self.status = "disconnected"
            self.say(text or "", "class:error")
            self.say(reconnect_text(event))
            self._refresh()
            return
        if text is not None:
            self.say(text, "class:error" if isinstance(event, NickRequired) else "")
        if isinstance(event, NickRequired):
            self._set_phase(Phase.NAME)
        elif isinstance(event, Registered):
            self.status = ""
            if event.reconnected:
                self._set_phase(Phase.CHAT)
        elif isinstance(event, Ready):
            if not self._announced_ready:
                self._announced_ready = True
                self.say(ALL_SET)
            elif event.rooms:
                self.say(f"Back in {', '.join(event.rooms)}.")
            self._set_phase(Phase.CHAT)
        elif isinstance(event, MessageAdded):
            self._message(event)
        elif isinstance(event, ActiveBufferChanged):
            self.echo(switch_header(event.buffer))
            shown = event.backlog[-BACKLOG_SHOWN:]
            first = len(event.backlog) - len(shown)
            for index, message in enumerate(shown, first):
                if index == event.new_from:
                    self.echo(new_messages_line())
                self.echo(message_fragments(message))
            self.client.mark_read()  # on screen: the terminal has no focus to ask about
            self._refresh()
        elif isinstance(event, HistoryLoaded | OlderMessages):
            self._history(event)
        elif isinstance(event, ReactionsChanged):
            self._reactions(event)
        elif isinstance(event, MessageDeleted) and event.active:
            self.echo(deleted_line(event.message))  # printed lines cannot be edited
        elif isinstance(event, BufferChanged | BufferClosed | OwnNickChanged | TypingChanged):
            self._refresh()
        elif isinstance(event, Stopped):
            refusal = refusal_text(event)
            if refusal is not None:
                print(refusal, file=sys.stderr, flush=True)
            if event.reason is ExitReason.QUIT:
                self.say("You have left the chat. Bye!")
            self._set_phase(Phase.DONE)

    def _history(self, event: HistoryLoaded | OlderMessages) -> None:
        """History for the buffer on screen, as a muted block under a header.
        The terminal cannot insert above what it printed, so the header says
        where the block belongs; other buffers show it in their backlog."""
        buffer = self.client.model.get(event.buffer)
        if buffer is None or buffer.key != self.client.model.active:
            return
        older = isinstance(event, OlderMessages)
        if event.messages:
            self.echo(history_header(event.buffer, len(event.messages), older))
            for message in event.messages:
                self.echo(message_fragments(message))
        if isinstance(event, OlderMessages) and event.complete:
            self.echo(history_start(event.buffer))

    def _reactions(self, event: ReactionsChanged) -> None:
        """Reactions in the buffer on screen, as a compact line naming the message."""
        buffer = self.client.model.get(event.buffer)
        if buffer is not None and buffer.key == self.client.model.active:
            self.echo(reactions_fragments(message_by_id(buffer, event.msgid), event.reactions))

    def _message(self, event: MessageAdded) -> None:
        message = event.message
        if event.active:
            buffer = self.client.model.get(event.buffer)
            if message.reply_to and buffer is not None:
                self.echo(reply_fragments(message_by_id(buffer, message.reply_to)))
            self.echo(message_fragments(message))
            if not message.own:
                self.client.mark_read()
            return
        # Elsewhere: only what the user must not miss, saying where it is.
        buffer = self.client.model.get(event.buffer)
        private = buffer is not None and buffer.kind is BufferKind.PRIVATE
        server = buffer is not None and buffer.kind is BufferKind.SERVER
        urgent = message.mention or (
            server and message.kind in (MessageKind.NOTICE, MessageKind.ERROR)
        )
        if urgent and not message.own and (private or message.mention or server):
            self.echo(message_fragments(message, where=event.buffer))
