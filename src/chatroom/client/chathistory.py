"""History from the server (IRCv3 ``draft/chathistory``): what was said before
we joined, what we missed while disconnected, and older pages on demand.

Spec: https://ircv3.net/specs/extensions/chathistory and
https://ircv3.net/specs/extensions/batch. The rules this module keeps:

- It asks only when the server offers ``draft/chathistory`` and we hold the
  ``batch`` cap (replies come as a ``chathistory`` batch); otherwise it does
  nothing, quietly.
- After our JOIN (and when a private chat opens, and after a reconnection) it
  asks for the latest lines: ``CHATHISTORY LATEST <target> * <n>`` the first
  time, ``LATEST <target> msgid=<newest we hold> <n>`` when the buffer already
  holds messages, so only what was missed comes back.
- :func:`fetch_older` pages back: ``CHATHISTORY BEFORE <target> msgid=<oldest>
  <n>``. A reply with fewer lines than asked means the start of history.
- Lines of a ``chathistory`` batch are held until the batch ends, then put in
  their buffer by time, skipping any ``msgid`` the buffer already holds (the
  same line may have arrived live), and flagged ``history``.
- Requests carry a ``label`` when the server offers ``labeled-response``, which
  ties each reply (or ``FAIL``) to its request; without it, replies are matched
  by target, oldest request first.
- :func:`fetch_around` opens a conversation at one message (a search result):
  ``CHATHISTORY AROUND <target> msgid=<id> <n>``. Those lines are *not* put in the
  buffer (that would leave a gap before the newest ones that paging back would
  skip); they come to the UI as an :class:`AroundLoaded` event.
- A ``msgid`` the server no longer knows (``FAIL CHATHISTORY INVALID_PARAMS``
  naming it, or ``INVALID_MSGREFTOKEN``) is retried once by time instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from chatroom.client import multiline, reactions, search
from chatroom.client.events import Event, HistoryLoaded, OlderMessages
from chatroom.client.lines import chat_message
from chatroom.client.model import Buffer, BufferKind, Message, now_utc
from chatroom.client.records import OpenBatch, Purpose, Request
from chatroom.client.state import ClientState
from chatroom.protocol import Line, casefold

log = logging.getLogger(__name__)

CAP = "draft/chathistory"


@dataclass(frozen=True, slots=True)
class AroundLoaded(Event):
    """The answer to :func:`fetch_around`: ``messages`` of ``buffer`` around the one
    with ``msgid`` (oldest first, ``history`` set), for the UI to show; the buffer
    itself is unchanged. Empty when the server had none (or refused: a note says why)."""

    buffer: str
    msgid: str
    messages: tuple[Message, ...]


def available(client: ClientState) -> bool:
    """Whether history can be asked for on this connection."""
    return client.registered and CAP in client.caps and "batch" in client.caps


def _limit(client: ClientState, wanted: int) -> int:
    """``wanted`` capped by the server's ISUPPORT ``CHATHISTORY`` (0 or absent: no cap)."""
    value = client.isupport.get("CHATHISTORY", "")
    cap = int(value) if value.isdigit() else 0
    return min(wanted, cap) if cap > 0 else wanted


def timestamp(when: datetime) -> str:
    """``timestamp=`` value: UTC with milliseconds, as the spec writes it."""
    text = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text[:-3] + "Z"


def fetch_recent(client: ClientState, buffer: Buffer) -> None:
    """Ask for the latest lines of ``buffer`` (only what is newer than the
    newest it holds). Nothing happens if history is unavailable or turned off
    (``ClientConfig.history_lines`` 0)."""
    wanted = client.config.history_lines
    if wanted <= 0 or not available(client) or buffer.kind is BufferKind.SERVER:
        return
    newest = buffer.newest()
    if newest is not None:
        anchor, fallback = f"msgid={newest.msgid}", f"timestamp={timestamp(newest.time)}"
    else:
        anchor, fallback = "*", None
    limit = _limit(client, wanted)
    _send(client, Request(Purpose.RECENT, buffer.name, "LATEST", anchor, limit, None, fallback))


def fetch_older(client: ClientState, buffer: Buffer, limit: int) -> bool:
    """Ask for up to ``limit`` lines older than the oldest ``buffer`` holds.
    Returns False (and sends nothing) when history is unavailable; True when a
    request is on its way (maybe one sent earlier and not answered yet)."""
    if not available(client) or buffer.kind is BufferKind.SERVER or limit <= 0:
        return False
    state = client.chathistory
    key = buffer.key
    if any(r.purpose is Purpose.OLDER and casefold(r.target) == key for r in state.requests):
        return True
    oldest = buffer.oldest()
    if oldest is not None:
        anchor, fallback = f"msgid={oldest.msgid}", f"timestamp={timestamp(oldest.time)}"
    else:
        first = buffer.messages[0].time if buffer.messages else now_utc()
        anchor, fallback = f"timestamp={timestamp(first)}", None
    request = Request(
        Purpose.OLDER, buffer.name, "BEFORE", anchor, _limit(client, limit), None, fallback
    )
    _send(client, request)
    return True


def fetch_around(client: ClientState, buffer: Buffer, msgid: str, limit: int) -> bool:
    """Ask for up to ``limit`` lines of ``buffer`` around the message ``msgid``
    (they arrive as :class:`AroundLoaded`). False (nothing sent) without history."""
    if not available(client) or buffer.kind is BufferKind.SERVER or limit <= 0:
        return False
    anchor = f"msgid={msgid}"
    _send(client, Request(Purpose.AROUND, buffer.name, "AROUND", anchor, _limit(client, limit)))
    return True


def _send(client: ClientState, request: Request) -> None:
    state = client.chathistory
    tags: dict[str, str] = {}
    if "labeled-response" in client.caps:
        request.label = state.next_label()
        tags["label"] = request.label
    params = (request.subcommand, request.target, request.anchor, str(request.limit))
    if client.send(Line("CHATHISTORY", params, None, tags)):
        state.requests.append(request)


# -- reading the replies ------------------------------------------------------------


def collect(client: ClientState, line: Line) -> Line | None:
    """Called with every line before its handler: returns the line to handle, None
    if the line was taken here (a ``BATCH`` line, or a line held in a history or
    multiline batch). At the end of a multiline message outside history, that is the
    whole message as one line (:func:`chatroom.client.multiline.joined`)."""
    state = client.chathistory
    if line.command == "BATCH":
        return _batch(client, line)
    ref = line.tags.get("batch")
    if ref is not None:
        batch = state.batches.get(ref)
        if batch is not None and batch.held:
            batch.lines.append(line)
            return None
    return line


def _batch(client: ClientState, line: Line) -> Line | None:
    """BATCH +<ref> <type> [<params>...] | BATCH -<ref>"""
    if not line.params or len(line.params[0]) < 2:
        return None
    state = client.chathistory
    sign, ref = line.params[0][0], line.params[0][1:]
    parent = state.batches.get(line.tags.get("batch", ""))
    if sign == "+" and len(line.params) >= 2:
        # A labeled-response batch wraps the chathistory batch: the label is
        # on the outer one.
        label = line.tags.get("label") or (parent.label if parent else None)
        state.batches[ref] = OpenBatch(line.params[1], line.params[2:], label, opening=line)
    elif sign == "-":
        batch = state.batches.pop(ref, None)
        if batch is not None and batch.kind == search.BATCH:
            search.finish(client, batch)
        elif batch is not None and batch.kind == multiline.BATCH:
            return _multiline_done(client, batch)
        elif batch is not None and batch.held:
            _finish(client, batch)
    return None


def _multiline_done(client: ClientState, batch: OpenBatch) -> Line | None:
    """A multiline message is complete: kept in the history batch it came in, else
    handed back to be handled as one message."""
    message = multiline.joined(batch)
    opening = batch.opening
    parent = client.chathistory.batches.get(opening.tags.get("batch", "")) if opening else None
    if message is not None and parent is not None and parent.held:
        parent.lines.append(message)
        return None
    return message


def _take(client: ClientState, label: str | None, target: str | None) -> Request | None:
    """Remove and return the request a reply answers: by label, else the oldest
    one for ``target``, else (no target known) the oldest of all."""
    requests = client.chathistory.requests
    found: Request | None = None
    if label is not None:
        found = next((r for r in requests if r.label == label), None)
    elif target is not None:
        found = next((r for r in requests if casefold(r.target) == casefold(target)), None)
    elif requests:
        found = requests[0]
    if found is not None:
        requests.remove(found)
    return found


def _finish(client: ClientState, batch: OpenBatch) -> None:
    """A chathistory batch ended: put its messages in their buffer and tell the UI."""
    target = batch.params[0] if batch.params else None
    request = _take(client, batch.label, target)
    name = target or (request.target if request else None)
    buffer = client.model.get(name) if name else None
    if buffer is None:
        return  # closed meanwhile, or history we did not ask for about nothing we show
    private = buffer.kind is BufferKind.PRIVATE
    messages = [
        message
        for line in batch.lines
        if line.command in ("PRIVMSG", "NOTICE")
        and (message := chat_message(client, line, private=private, history=True)) is not None
    ]
    if request is not None and request.purpose is Purpose.AROUND:
        for line in batch.lines:
            if line.command == "TAGMSG":
                reactions.received(client, line, buffer)
        msgid = request.anchor.removeprefix("msgid=")
        client.emit(AroundLoaded(buffer.name, msgid, tuple(messages)))
        return
    older = request is not None and request.purpose is Purpose.OLDER
    inserted = tuple(client.model.insert_history(buffer, messages, older=older))
    for line in batch.lines:
        if line.command == "TAGMSG":  # reactions, with draft/event-playback
            reactions.received(client, line, buffer)
    if request is not None and older:
        complete = len(batch.lines) < request.limit
        client.emit(OlderMessages(buffer.name, inserted, complete))
    elif inserted:
        active = buffer.key == client.model.active
        client.emit(HistoryLoaded(buffer.name, inserted, client.backlog(buffer), active))


def chathistory_failed(client: ClientState, line: Line) -> None:
    """FAIL CHATHISTORY <code> [<context>...] <description>"""
    if len(line.params) < 3 or line.command != "FAIL":
        return
    code = line.params[1]
    label = line.tags.get("label")
    if label is None:
        parent = client.chathistory.batches.get(line.tags.get("batch", ""))
        label = parent.label if parent else None
    context = line.params[2:-1]
    requests = client.chathistory.requests
    if label is None:
        # Without labels: the request whose anchor or target the reply names.
        named = next((r for r in requests if r.anchor in context or r.target in context), None)
        request = named or (requests[0] if requests else None)
        if request is not None:
            requests.remove(request)
    else:
        request = _take(client, label, None)
    if request is None:
        return
    # An unknown msgid: the draft's INVALID_PARAMS naming it (ours), or the
    # INVALID_MSGREFTOKEN some servers send.
    forgotten = code == "INVALID_MSGREFTOKEN" or (
        code == "INVALID_PARAMS" and request.anchor in context
    )
    if forgotten and request.fallback is not None:
        # The server forgot that message (retention, or another server): ask by time.
        retry = Request(
            request.purpose,
            request.target,
            request.subcommand,
            request.fallback,
            request.limit,
        )
        _send(client, retry)
        return
    buffer = client.model.get(request.target)
    if buffer is None:
        return
    client.note(f"Could not load the history of {buffer.name}: {line.params[-1]}", buffer=buffer)
    if request.purpose is Purpose.OLDER:
        client.emit(OlderMessages(buffer.name, (), False))
    elif request.purpose is Purpose.AROUND:
        client.emit(AroundLoaded(buffer.name, request.anchor.removeprefix("msgid="), ()))
