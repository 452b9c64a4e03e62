"""Replies, reactions, deleting, search and attachments in the desktop window
(issues 18 and 19), next to the presenter rather than inside it.

The app hands every batch of events to the presenter (which draws the lines)
and then to :meth:`Features.handle`, which adds what goes around them (quotes,
reactions, thumbnails: :mod:`chatroom.ui.tk.message_view`), lists search results
and shows a result's conversation. What the user does here becomes plain calls
on the client core, run on its thread (``runner.call``):

- Reply: ``SendMessage(..., reply_to=msgid)`` (``+draft/reply``).
- React, and clicking a reaction: :func:`chatroom.client.reactions.toggle_line`
  (a reaction, or its undo when it is the user's already).
- Delete: ``REDACT <target> <msgid>`` (draft/message-redaction); the server
  decides who may, and answers a refusal with ``FAIL REDACT`` (shown in red).
- Search: ``SearchHistory(quiet=True)``, answered by ``SearchResults``; opening
  a match: ``fetch_around`` (``CHATHISTORY AROUND``), answered by ``AroundLoaded``.
- Attach: ``Upload(path)`` (soju.im/FILEHOST); thumbnails: :mod:`chatroom.ui.tk.attach`.
"""

from __future__ import annotations

import base64
import logging
import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import filedialog, ttk
from typing import Protocol

from chatroom.client import casefold
from chatroom.client.chathistory import AroundLoaded
from chatroom.client.commands import Raw, SearchHistory, SendMessage, Upload
from chatroom.client.config import ClientConfig
from chatroom.client.core import ChatClient
from chatroom.client.events import ActiveBufferChanged, Event, ReactionsChanged
from chatroom.client.model import BufferView, Message
from chatroom.client.reactions import toggle_line
from chatroom.client.search import SearchHit, SearchResults
from chatroom.ui.tk.annotations import MessageIndex, file_links, quote_text
from chatroom.ui.tk.attach import ThumbnailLoader
from chatroom.ui.tk.formatting import message_line, note
from chatroom.ui.tk.message_menu import MessageMenu, ReplyBar
from chatroom.ui.tk.message_view import MessageDecorations
from chatroom.ui.tk.presenter import Presenter
from chatroom.ui.tk.search_panel import SearchPanel
from chatroom.ui.tk.theme import COLOURS
from chatroom.ui.tk.window import MainWindow


class Caller(Protocol):
    """What of the app's runner is used here (a ``ClientThread``)."""

    def call(self, function: Callable[[ChatClient], object]) -> None: ...


class App(Protocol):
    """What of the app (:class:`~chatroom.ui.tk.app.TkChatApp`) is used here."""

    @property
    def window(self) -> MainWindow: ...

    @property
    def runner(self) -> Caller | None: ...

    @property
    def presenter(self) -> Presenter | None: ...

    @property
    def config(self) -> ClientConfig: ...

    @property
    def base_config(self) -> ClientConfig: ...


log = logging.getLogger(__name__)

AROUND = 40
"""Messages asked for around a search result."""

LATEST = "── Back to the latest messages ──"


class Features:
    """Replies, reactions, deleting, search and attachments for ``app``'s window.
    ``ask_file`` asks for a file to attach (a test passes its own)."""

    def __init__(
        self,
        app: App,
        ask_file: Callable[[], str] | None = None,
        *,
        _utest: bool = False,
    ) -> None:
        self.app = app
        window = app.window
        self.window = window
        self.index = MessageIndex()
        self.decorations = MessageDecorations(
            window.conversation, window.fonts, self.index, self.react
        )
        self.menu = MessageMenu(self, window.conversation, _utest=_utest)
        self.thumbnails = ThumbnailLoader(verify=app.base_config.tls_verify)
        self.ask_file = ask_file or self._ask_file
        self.replying: Message | None = None
        self.search_panel: SearchPanel | None = None
        self.around: str | None = None  # the msgid whose surroundings are shown
        bottom = window.send_button.master
        assert bottom is not None and bottom.master is not None
        self.reply_bar = ReplyBar(bottom.master, bottom, self.cancel_reply)
        self.attach_button = ttk.Button(
            bottom, text="📎", width=3, style="Small.TButton", command=self.choose_file
        )
        self.attach_button.pack(side="left", anchor="s", padx=(0, 6), before=window.input)
        self.search_button = ttk.Button(
            window.heading.master, text="🔍 Search", style="Small.TButton", command=self.open_search
        )
        self.search_button.place(relx=1.0, x=0, y=0, anchor="ne")
        conversation = window.conversation
        conversation.tag_configure("latest", foreground=COLOURS["accent"], underline=True)
        conversation.tag_bind("latest", "<Button-1>", lambda _e: self.back_to_latest())
        keys: tuple[tuple[tk.Misc, str, Callable[[], object]], ...] = (
            (window.root, "<Control-f>", self.open_search),
            (window.root, "<Control-o>", self.choose_file),
            (window.input, "<Control-f>", self.open_search),
            (window.input, "<Control-o>", self.choose_file),
            (window.input, "<Escape>", self.cancel_reply),
        )
        for widget, sequence, action in keys:
            # "break": the input's own Ctrl+O (open a line) and Ctrl+F must not run too.
            widget.bind(sequence, _key(action), add="+")

    # -- events ------------------------------------------------------------------------

    def handle(self, events: Sequence[Event]) -> None:
        """After the presenter drew ``events``: add what goes around the lines."""
        drawn: list[Message] = []
        changed: list[str] = []
        for event in events:
            drawn += self.index.observe(event)
            if isinstance(event, ReactionsChanged):
                changed.append(event.msgid)
            elif isinstance(event, ActiveBufferChanged):
                self.window.paging = True
                if self.replying is not None:
                    self.cancel_reply()
            elif isinstance(event, SearchResults) and self.search_panel is not None:
                if self.search_panel.winfo_exists():
                    self.search_panel.show(event)
            elif isinstance(event, AroundLoaded):
                self._show_around(event)
        self.decorations.decorate(drawn)
        for msgid in changed:
            self.decorations.reactions_changed(msgid)
        host = self.app.config.host
        for message in drawn:
            if message.msgid and not message.deleted:
                for link in file_links(message.text, host):
                    self.thumbnails.want(message.msgid, link)

    def tick(self) -> None:
        """Every tick of the app: show the thumbnails fetched meanwhile."""
        for msgid, link, body in self.thumbnails.ready():
            try:
                image = tk.PhotoImage(master=self.window.root, data=base64.b64encode(body))
            except tk.TclError:
                log.debug("not an image: %s", link)
                continue
            self.decorations.add_thumbnail(msgid, link, image)

    def close(self) -> None:
        self.thumbnails.close()

    # -- replies, reactions, deleting -----------------------------------------------

    def _call(self, function: Callable[[ChatClient], object]) -> None:
        if self.app.runner is not None:
            self.app.runner.call(function)

    def msgid_at(self, x: int, y: int) -> str | None:
        return self.decorations.msgid_at(x, y)

    def where(self) -> tuple[BufferView | None, str | None]:
        presenter = self.app.presenter
        if presenter is None:
            return None, None
        return presenter.active_view, presenter.nick

    def _buffer(self) -> str | None:
        presenter = self.app.presenter
        view = presenter.active_view if presenter is not None else None
        return view.name if view is not None else None

    def start_reply(self, msgid: str) -> None:
        """ "Reply": the quote bar shows above the input; the next message answers it."""
        message = self.index.get(msgid)
        if message is None:
            return
        self.replying = message
        self.reply_bar.show(f"Replying to {quote_text(message).removeprefix('↪ ')}")
        self.window.input.focus_set()

    def cancel_reply(self) -> None:
        self.replying = None
        self.reply_bar.hide()

    def send(self, text: str) -> bool:
        """Enter in the input: a reply when one is being written, else as usual."""
        presenter, replying, buffer = self.app.presenter, self.replying, self._buffer()
        if presenter is None:
            return False
        if replying is None or buffer is None or not text.strip() or text.startswith("/"):
            return presenter.send(text)
        presenter.history.add(text.strip("\n"))
        reply = SendMessage(buffer, text.strip("\r\n"), reply_to=replying.msgid)
        self._call(lambda client: client.perform(reply))
        self.cancel_reply()
        return True

    def react(self, msgid: str, reaction: str) -> None:
        """React to ``msgid`` with ``reaction``, or take it back if given already."""
        buffer = self._buffer()
        if buffer is None:
            return

        def send(client: ChatClient) -> None:
            found = client.model.get(buffer)
            if found is not None:
                client.perform(Raw(toggle_line(client.protocol, found, msgid, reaction).format()))

        self._call(send)

    def delete(self, msgid: str) -> None:
        """Delete the message ``msgid`` (REDACT); the server says if it may not."""
        buffer = self._buffer()
        if buffer is not None:
            self._call(lambda client: client.perform(Raw(f"REDACT {buffer} {msgid}")))

    # -- search -------------------------------------------------------------------------

    def open_search(self) -> SearchPanel:
        """Ctrl+F or 🔍: the search window (one at a time)."""
        panel = self.search_panel
        if panel is None or not panel.winfo_exists():
            presenter = self.app.presenter
            view = presenter.active_view if presenter is not None else None
            room = view.name if view is not None and view.kind.value == "channel" else None
            panel = SearchPanel(self.window.root, room, self.search, self.open_hit)
            self.search_panel = panel
        panel.deiconify()
        panel.lift()
        panel.entry.focus_set()
        return panel

    def search(self, words: str, room: str | None) -> None:
        action = SearchHistory(words, room=room, quiet=True)
        self._call(lambda client: client.perform(action))

    def open_hit(self, hit: SearchHit) -> None:
        """Open ``hit``'s conversation at it: where it is on screen already, else
        the messages around it from the server's history."""
        msgid = hit.msgid
        if msgid is None:
            return
        presenter = self.app.presenter
        here = presenter is not None and presenter.active == casefold(hit.where)
        if here and self.decorations.highlight(msgid):
            return
        self.around = msgid
        self._call(lambda client: client.fetch_around(hit.where, msgid, AROUND))

    def _show_around(self, event: AroundLoaded) -> None:
        presenter = self.app.presenter
        if presenter is None or presenter.active != casefold(event.buffer):
            return
        if event.msgid != self.around:
            return  # an answer to an earlier choice
        self.around = None
        if self.decorations.highlight(event.msgid) or not event.messages:
            return
        tz = presenter.tz
        first = event.messages[0].time
        lines = [message_line(note("Messages around the one you opened:", first), tz)]
        lines += [message_line(m, tz) for m in event.messages]
        lines.append([(f"\t\t{LATEST}\n", ("line", "latest"))])
        self.window.paging = False  # older pages would not follow these lines
        self.window.show_lines(lines, replace=True)
        self.decorations.decorate(event.messages)
        self.decorations.highlight(event.msgid)

    def back_to_latest(self) -> None:
        buffer = self._buffer()
        if buffer is not None:
            self._call(lambda client: client.show(buffer))

    # -- attaching ----------------------------------------------------------------------

    def _ask_file(self) -> str:
        return filedialog.askopenfilename(parent=self.window.root, title="Share a file")

    def choose_file(self) -> None:
        """📎 or Ctrl+O: ask for a file, then upload it and send its link here."""
        path = self.ask_file()
        if path:
            self.attach(path)

    def attach(self, path: str) -> None:
        self._call(lambda client: client.perform(Upload(path)))


def _key(action: Callable[[], object]) -> Callable[[tk.Event[tk.Misc]], str]:
    def handler(_event: tk.Event[tk.Misc]) -> str:
        action()
        return "break"

    return handler
